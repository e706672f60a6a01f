package io.commercechat.consent.access;

import io.commercechat.proto.consent.v1.AccessDecision;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.Generated;
import org.hibernate.generator.EventType;

/** One CheckAccess decision, kept where the person can see it. */
@Entity
@Table(name = "access_records")
public class AccessRecord {
    @Id
    public UUID id;

    @Generated(event = EventType.INSERT)
    @Column(name = "list_seq", insertable = false, updatable = false)
    public Long listSeq;

    public String userId;
    public String bankId;
    public String accountId;
    public UUID consentId;
    public String service;
    @Enumerated(EnumType.STRING)
    public Permission permission;
    @Enumerated(EnumType.STRING)
    public Purpose purpose;
    @Enumerated(EnumType.STRING)
    public AccessDecision decision;
    public String reason;
    public Instant occurredAt;
}
