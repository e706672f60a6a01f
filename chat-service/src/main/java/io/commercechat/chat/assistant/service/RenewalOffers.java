package io.commercechat.chat.assistant.service;

import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.consent.repository.ConsentWatchRepository;
import io.commercechat.chat.conversation.repository.ConversationRepository;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.service.MessageService;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A week (chat.renewal.notice-before) before a consent expires, the assistant offers renewal once
 * in the person's conversation with that bank: an account update, not a promotion. The claim of the
 * due consent commits only after its offer is posted, and the offer's client message id is
 * "renewal-" + consent id, so a claim that is retried (by this or another replica) never posts the
 * offer twice. A person without a conversation with that bank gets no message (claimed
 * anyway: the Privacy page shows the expiry). The offer names its consent as a card does, so when the consent ends
 * (revoked, or expired) the offer is replaced by a notice as its cards are, instead of still saying when it will end;
 * and it cannot be posted once the end has been handled (send_message_batch() refuses it, V11).
 */
@ApplicationScoped
public class RenewalOffers {

    /** Consents claimed (and offered) in one transaction. */
    public static final int CLAIMED_AT_ONCE = 20;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d MMM yyyy", Locale.UK).withZone(ZoneOffset.UTC);

    private final ConsentWatchRepository watch;
    private final BusinessRepository businesses;
    private final ConversationRepository conversations;
    private final MessageService messages;
    private final ChatConfig config;
    private final AtomicBoolean checking = new AtomicBoolean();

    public RenewalOffers(ConsentWatchRepository watch, BusinessRepository businesses, ConversationRepository conversations,
            MessageService messages, ChatConfig config) {
        this.watch = watch;
        this.businesses = businesses;
        this.conversations = conversations;
        this.messages = messages;
        this.config = config;
    }

    /** Posts the offers that are due; returns how many consents were handled. */
    public Uni<Integer> offerDue() {
        return Uni.createFrom().deferred(() -> {
            // one check at a time on this replica: a long one (a backlog after days down) is not joined by the next
            if (!checking.compareAndSet(false, true)) {
                return Uni.createFrom().item(0);
            }
            return offerDue(config.renewal().noticeBefore()).eventually(() -> checking.set(false));
        });
    }

    /**
     * Posts the offers of consents that expire within {@code noticeBefore}, {@link #CLAIMED_AT_ONCE} a transaction
     * until none is left: the check runs every chat.renewal.check-interval, and a fixed number a check would fall
     * behind when more consents come due than that, until some expired without an offer.
     */
    public Uni<Integer> offerDue(Duration noticeBefore) {
        int[] handled = {0};
        return Uni.createFrom().deferred(() -> offerSome(noticeBefore)).invoke(n -> handled[0] += n)
                .repeat().whilst(n -> n == CLAIMED_AT_ONCE).collect().last().map(last -> handled[0]);
    }

    private Uni<Integer> offerSome(Duration noticeBefore) {
        return Panache.withTransaction(() -> watch.claimDue(noticeBefore, CLAIMED_AT_ONCE).chain(due -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (var d : due) {
                chain = chain.chain(() -> businesses.findByPartnerBank(d.bankId()).chain(bank -> bank == null
                        ? Uni.createFrom().voidItem()
                        : conversations.findPair(d.personSub(), bank.id).chain(c -> c == null ? Uni.createFrom().voidItem()
                                : messages.postAsAssistant(c.id, "renewal-" + d.consentId(), BankAssistant.buttons("Your consent for " + bank.displayName
                                        + " to share account data here ends on " + DATE.format(d.expiresAt())
                                        + ". If you want to keep seeing your accounts in this chat, you can renew it;"
                                        + " otherwise nothing needs to be done.", "Renew access", BankAssistant.linkUrl(bank)),
                                        ChatMessage.Visibility.PERSON_ONLY, UpdateTag.UPDATE_TAG_ACCOUNT_UPDATE, d.consentId())
                                        // its end was handled since the claim read it: nothing to renew, and the
                                        // claim still commits (else this consent would fail every later check)
                                        .onFailure(MessageService::isCardConsentEnded).recoverWithNull()
                                        .replaceWithVoid())));
            }
            return chain.replaceWith(due.size());
        }));
    }
}
