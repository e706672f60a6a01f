package io.commercechat.consent.eventlog;

import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentEventType;
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

/** One entry of the append-only, hash-chained consent event log. */
@Entity
@Table(name = "consent_events")
public class ConsentEventEntry {

    @Id
    public UUID eventId;

    @Generated(event = EventType.INSERT)
    @Column(insertable = false, updatable = false)
    public Long position;

    public UUID consentId;

    @Enumerated(EnumType.STRING)
    public ConsentEventType type;

    @Enumerated(EnumType.STRING)
    public Actor actor;

    public Instant occurredAt;
    public String snapshot;
    public String previousHash;
    public String hash;
}
