package io.commercechat.accounts.link.service;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.grpc.Validate;
import io.commercechat.accounts.link.Link;
import io.commercechat.accounts.link.repository.LinkRepository;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.support.Deadlines;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * A person has at most one live link per bank: completing a new link to a bank ends the person's ACTIVE link to it, in
 * the transaction that makes the new one ACTIVE, and the unique index {@code links_one_active_per_bank_idx} (V11) holds
 * every replica to it. Completing, not beginning: the assistant's "Renew access" begins a link to a bank that is linked
 * already, and a renewal abandoned at the bank leaves the link the person has as it was. Before, the second link stayed
 * ACTIVE beside the first, and every account was listed twice.
 */
@ApplicationScoped
public class LinkReplacement {

    private static final Logger LOG = Logger.getLogger(LinkReplacement.class);
    /** How long CompleteLink waits for the replaced link's bank and consent to be told. */
    private static final Duration FINISH_WITHIN = Duration.ofSeconds(3);

    /** An earlier link, ended as {@code to} because a new link to its bank replaced it. */
    record Replaced(Link link, LinkStatus to, String reason) {}

    private final LinkRepository links;
    private final AccessEnding ending;
    private final FailedLinkConsents consentEnds;
    private final BankRegistry banks;

    public LinkReplacement(LinkRepository links, AccessEnding ending, FailedLinkConsents consentEnds, BankRegistry banks) {
        this.links = links;
        this.ending = ending;
        this.consentEnds = consentEnds;
        this.banks = banks;
    }

    /**
     * Ends the person's other ACTIVE links to the bank of {@code link} inside the caller's transaction, the activation of
     * {@code link} (its rollback undoes them too), as an Unlink ends a link: REVOKED "replaced by your new link to …",
     * token unusable at once, its accounts' bank data erased, the bank and the consent's end due after their leases, so
     * that the sweeps finish them if this replica stops right after the commit. A link already past its expiry at
     * {@code now}, the database's time (DatabaseClock: every replica decides alike), ends EXPIRED, as consent-service's
     * expiry event would end it, and its consent is left to expire there.
     */
    Uni<List<Replaced>> endEarlierLinks(Link link, Instant now) {
        String reason = Validate.composedReason("replaced by your new link to " + banks.displayName(link.bankId));
        return links.activeWithBank(link.userId, link.bankId, link.id).chain(earlier -> {
            List<Replaced> ended = new ArrayList<>();
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Link old : earlier) {
                boolean expired = old.pastExpiryAt(now);
                Replaced replaced = expired ? new Replaced(old, LinkStatus.LINK_STATUS_EXPIRED, "the consent expired")
                        : new Replaced(old, LinkStatus.LINK_STATUS_REVOKED, reason);
                chain = chain.chain(() -> ending.endHere(old, replaced.to(), replaced.reason(), now,
                                expired ? null : now.plus(FailedLinkConsents.LEASE), false, now.plus(AccessEnding.ENDING_FIRST))
                        .invoke(endedHere -> {
                            if (endedHere) {  // not when someone else ended it a moment ago (who sees to it)
                                ended.add(replaced);
                            }
                        })
                        .replaceWithVoid());
            }
            return chain.map(ignored -> List.copyOf(ended));
        });
    }

    /**
     * Once the activation has committed: each replaced link's token is revoked at the bank and its consent revoked for
     * the person (ACTOR_USER with their token: linking the bank again was their doing) before CompleteLink answers, as
     * Unlink does. Never fails: what does not get through now the sweeps retry (AccessEnding, FailedLinkConsents).
     */
    Uni<Void> finish(Link link, List<Replaced> replaced, String personToken) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Replaced r : replaced) {
            chain = chain.chain(() -> {
                LOG.infof("link %s ended (%s): replaced by link %s", r.link().id, r.to(), link.id);
                return ending.revokeNow(r.link().id).onFailure().recoverWithNull()
                        .chain(() -> r.to() == LinkStatus.LINK_STATUS_EXPIRED ? Uni.createFrom().voidItem()
                                : consentEnds.revokeForPerson(r.link(), r.reason(), personToken));
            });
        }
        // the person's new link is ACTIVE: a slow bank or consent-service must not turn CompleteLink into a deadline
        // error for them (the work goes on, not cancelled: Deadlines; the due marks hand what it leaves to the sweeps)
        return Deadlines.answerWithin(chain, FINISH_WITHIN, NotFinishedYet::new)
                .onFailure(NotFinishedYet.class).recoverWithNull();
    }

    /** The replaced links' ending is still under way at {@link #FINISH_WITHIN}. */
    private static final class NotFinishedYet extends RuntimeException {
        NotFinishedYet() {
            super("still ending the replaced links", null, false, false);
        }
    }

    /**
     * The answer when the unique index refused {@code link}'s activation: another link of the person's to that bank became
     * ACTIVE at the same moment (see {@link LinkRepository#anotherActiveLinkWithTheBank}).
     */
    StatusRuntimeException anotherActiveLink(Link link) {
        return Status.ALREADY_EXISTS.withDescription("another link of yours to " + banks.displayName(link.bankId)
                + " became active while this one was being completed, so this one was not completed: keep that one,"
                + " or link again to replace it").asRuntimeException();
    }
}
