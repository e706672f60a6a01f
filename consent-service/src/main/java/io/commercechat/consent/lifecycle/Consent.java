package io.commercechat.consent.lifecycle;

import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.annotations.Generated;
import org.hibernate.generator.EventType;

/** A person's consent for the platform to read their data at one bank (DESIGN.md section 5). */
@Entity
@Table(name = "consents")
public class Consent {

    @Id
    public UUID id;

    @Generated(event = EventType.INSERT)
    @Column(name = "list_seq", insertable = false, updatable = false)
    public Long listSeq;

    public String userId;
    public String bankId;
    /** Comma-separated {@link Permission} names. */
    public String permissions;
    /** Comma-separated {@link Purpose} names. */
    public String purposes;
    /** Comma-separated bank account ids; empty = every account of the link. */
    public String accountIds;
    public Instant transactionFrom;
    public Instant transactionTo;
    public Instant createdAt;
    public Instant expiresAt;
    public Instant updatedAt;
    public Instant authorisedAt;

    @Enumerated(EnumType.STRING)
    public ConsentStatus status;

    public String statusReason;

    @Enumerated(EnumType.STRING)
    public Actor endedBy;

    /**
     * Optimistic locking, and the version callers read and may name as AuthoriseConsentRequest.expected_version, where
     * 0 means "no check": so a consent starts at {@link #FIRST_VERSION}, never 0.
     */
    @Version
    public long version;

    public static final long FIRST_VERSION = 1;

    public List<Permission> permissionList() {
        return split(permissions).stream().map(Permission::valueOf).toList();
    }

    public List<Purpose> purposeList() {
        return split(purposes).stream().map(Purpose::valueOf).toList();
    }

    public List<String> accountIdList() {
        return split(accountIds);
    }

    public static String join(Collection<?> values) {
        return values.stream().map(Object::toString).collect(Collectors.joining(","));
    }

    private static List<String> split(String joined) {
        return joined == null || joined.isEmpty() ? List.of() : Arrays.asList(joined.split(","));
    }
}
