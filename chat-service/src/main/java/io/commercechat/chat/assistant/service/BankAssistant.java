package io.commercechat.chat.assistant.service;

import io.commercechat.chat.background.BackgroundWork;
import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.client.AccountLinkClient;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.client.PeerTimes;
import io.commercechat.chat.conversation.Conversation;
import io.commercechat.chat.conversation.repository.ConversationRepository;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.repository.MessageRepository;
import io.commercechat.chat.message.service.MessageService;
import io.commercechat.chat.rest.ProtoEnums;
import io.commercechat.proto.accounts.v1.Balance;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.LinkStatus;
import io.commercechat.proto.accounts.v1.LinkedAccount;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.accounts.v1.Transaction;
import io.commercechat.proto.common.v1.Money;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.proto.partner.v1.AccountCard;
import io.commercechat.proto.partner.v1.Button;
import io.commercechat.proto.partner.v1.Buttons;
import io.commercechat.proto.partner.v1.MessageContent;
import io.commercechat.proto.partner.v1.QuickReplies;
import io.commercechat.proto.partner.v1.QuickReply;
import io.commercechat.proto.partner.v1.UpdateTag;
import io.commercechat.support.ProtoTime;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.text.NumberFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The built-in assistant of bank conversations, always marked as automated. It answers four
 * requests (as text or as its quick-reply payloads) with messages only the person sees: account
 * cards read live through account-link-service with the person's own token for purpose
 * ACCOUNT_OVERVIEW, or a notice when nothing is linked or allowed. Each card remembers its consent,
 * so that ending the consent removes the card (see ConsentEventWatcher).
 */
@ApplicationScoped
public class BankAssistant {

    /** Answers under way at once on this replica (see {@link #onPersonMessage}). */
    static final int MAX_ANSWERING = 64;
    private final AtomicInteger answering = new AtomicInteger();

    public enum Request {
        LINK_ACCOUNT("Link account"), SHOW_BALANCE("Show balance"), RECENT_TRANSACTIONS("Recent transactions"),
        MANAGE_ACCESS("Manage access"), MENU("Menu");

        final String label;
        private final String payload;

        Request(String label) {
            this.label = label;
            this.payload = MessageService.ASSISTANT_PAYLOAD_PREFIX + name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public String payload() {
            return payload;
        }
    }

    /** Longer texts are not requests, even with spaces around them. */
    private static final int LONGEST_REQUEST = 64;
    private static final int MAX_CARDS = 3;
    private static final int RECENT = 5;
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMM", Locale.UK).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d MMM yyyy", Locale.UK).withZone(ZoneOffset.UTC);

    private final MessageService messages;
    private final ConversationRepository conversations;
    private final BusinessRepository businesses;
    private final AccountLinkClient accountLink;
    private final ConsentClient consents;
    private final BackgroundWork background;
    private final MessageRepository chatMessages;

    public BankAssistant(MessageService messages, ConversationRepository conversations, BusinessRepository businesses,
            AccountLinkClient accountLink, ConsentClient consents, BackgroundWork background, MessageRepository chatMessages) {
        this.messages = messages;
        this.chatMessages = chatMessages;
        this.conversations = conversations;
        this.businesses = businesses;
        this.accountLink = accountLink;
        this.consents = consents;
        this.background = background;
    }

    /** Which request a person's text is: a label (any case) or a payload; "help" shows the menu. */
    public static Optional<Request> requestOf(String text) {
        if (text == null || text.length() > LONGEST_REQUEST) {
            return Optional.empty(); // every send passes here: most are not requests
        }
        String t = text.strip();
        if (t.equalsIgnoreCase("help")) {
            return Optional.of(Request.MENU);
        }
        for (Request r : Request.values()) {
            if (t.equalsIgnoreCase(r.label) || t.equals(r.payload())) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * After the person's message committed, or after a retry of it was answered with the first result: answers in
     * the background when it asked the assistant something and has no answer yet. A retry must be answered too: its
     * first send may have committed after its sender was told it could not be confirmed (503 send-unconfirmed), or on
     * a replica killed before it answered. At most {@link #MAX_ANSWERING} answers are under way on a replica at once
     * (each waits up to chat.account-link-deadline for a bank's reads); a request beyond them is told to ask again,
     * instead of piling calls onto the banks.
     */
    public void onPersonMessage(ChatMessage message, boolean retry, String text, String personToken) {
        requestOf(text).ifPresent(request -> {
            boolean busy = answering.incrementAndGet() > MAX_ANSWERING;
            background.run("assistant answer",
                    () -> Uni.createFrom().deferred(() -> Panache.withSession(() -> (retry ? answered(message)
                                    : Uni.createFrom().item(false)).chain(done -> done ? Uni.createFrom().nullItem()
                                            : conversations.findById(message.conversationId)
                                                    .chain(c -> businesses.findById(c.businessId).map(b -> new Target(c, b))))))
                            .chain(target -> target == null || target.business().kind != Business.Kind.BANK
                                    ? Uni.createFrom().voidItem()
                                    : reply(new Reply(target, message.id), busy, request, personToken))
                            .eventually(answering::decrementAndGet));
        });
    }

    record Target(Conversation conversation, Business business) {
        String bank() {
            return business.displayName;
        }
    }

    /**
     * One answer to one request. Its messages' client ids are "assistant-&lt;request message id&gt;-&lt;n&gt;": whoever
     * writes the first owns the answer, and any other run for the same request (a retry, on any replica) stops there.
     */
    static final class Reply {
        final Target t;
        final UUID request;
        int parts;  // the answer's steps run one after another

        Reply(Target t, UUID request) {
            this.t = t;
            this.request = request;
        }

        String nextClientMessageId() {
            return clientMessageId(request, ++parts);
        }
    }

    static String clientMessageId(UUID request, int part) {
        return "assistant-" + request + "-" + part;
    }

    /** Another run wrote the answer's first message. */
    private static final class AlreadyAnswered extends RuntimeException {
        AlreadyAnswered() {
            super("answered by another run", null, false, false);
        }
    }

    /** A read from account-link-service or consent-service failed: the person is told, unlike a failure of our own. */
    private static final class ReadFailed extends RuntimeException {
        ReadFailed(ChatFailure cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private Uni<Boolean> answered(ChatMessage request) {
        return chatMessages.exists(request.conversationId, ChatMessage.Sender.ASSISTANT, clientMessageId(request.id, 1));
    }

    private Uni<Void> reply(Reply r, boolean busy, Request request, String token) {
        return (busy ? say(r, MessageContents.notice("I'm answering many requests right now. Please ask me again in a moment."))
                : answer(r, request, token))
                .onFailure(AlreadyAnswered.class).recoverWithNull();
    }

    Uni<Void> answer(Reply r, Request request, String token) {
        Target t = r.t;
        Uni<Void> answer = switch (request) {
            case MENU -> say(r, menu(t));
            case LINK_ACCOUNT -> activeLinks(t, token).chain(links -> links.isEmpty() ? say(r, linkOffer(t))
                    : say(r, buttons("Your " + t.bank() + " account is linked until " + DATE.format(expiry(links.get(0)))
                            + ". Ask me for your balance or recent transactions.", "Manage access", "#/privacy")));
            case SHOW_BALANCE -> activeLinks(t, token).chain(links -> links.isEmpty() ? say(r, linkOffer(t))
                    : balances(r, token, links));
            case RECENT_TRANSACTIONS -> activeLinks(t, token).chain(links -> links.isEmpty() ? say(r, linkOffer(t))
                    : transactions(r, token, links));
            case MANAGE_ACCESS -> manageAccess(r, token);
        };
        // a failed read is told to the person, and so are an answer with a time that cannot be shown (found after the
        // read returned) and a card refused because its consent ended meanwhile; a failure to write the answer is not
        // (it is not the bank's, and writing a notice would fail alike): logged
        return answer.onFailure(f -> f instanceof ReadFailed || PeerTimes.isUnusable(f)
                        || MessageService.isCardConsentEnded(f))
                .recoverWithUni(f -> say(r, MessageContents.notice(sorry(t,
                        (ChatFailure) (f instanceof ReadFailed ? f.getCause() : f)))));
    }

    /** A read of a peer, whose failure the person is told about (see {@link #answer}). */
    private static <T> Uni<T> read(Uni<T> call) {
        return call.onFailure(ChatFailure.class).transform(f -> new ReadFailed((ChatFailure) f));
    }

    private Uni<List<Link>> activeLinks(Target t, String token) {
        return read(accountLink.listLinks(token, ListLinksRequest.newBuilder().setPageSize(100).build()))
                .map(r -> r.getLinksList().stream().filter(l -> l.getStatus() == LinkStatus.LINK_STATUS_ACTIVE
                        && l.getBankId().equals(t.business().partnerBankId)).toList());
    }

    private Uni<Void> balances(Reply reply, String token, List<Link> links) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (var entry : accountsOf(links)) {
            chain = chain.chain(() -> read(accountLink.getBalances(token, GetBalancesRequest.newBuilder()
                            .setAccountId(entry.account().getId()).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build()))
                    .chain(r -> card(reply, entry, "Balance", r.getBalancesList().stream().map(BankAssistant::line).toList(),
                            r.getBalancesList().stream().map(b -> PeerTimes.from(b.getAsOf(), "as_of"))
                                    .filter(x -> x != null).max(Instant::compareTo).orElse(Instant.now()))));
        }
        return chain;
    }

    private Uni<Void> transactions(Reply reply, String token, List<Link> links) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (var entry : accountsOf(links)) {
            chain = chain.chain(() -> read(accountLink.listTransactions(token, ListTransactionsRequest.newBuilder()
                            .setAccountId(entry.account().getId()).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW)
                            .setPageSize(RECENT).build()))
                    .chain(r -> card(reply, entry, "Recent transactions", r.getTransactionsList().isEmpty()
                            ? List.of("No transactions in the last 90 days")
                            : r.getTransactionsList().stream().map(BankAssistant::line).toList(), Instant.now())));
        }
        return chain;
    }

    private Uni<Void> manageAccess(Reply reply, String token) {
        Target t = reply.t;
        return read(consents.listConsents(token, ListConsentsRequest.newBuilder().setBankId(t.business().partnerBankId)
                        .addStatuses(ConsentStatus.CONSENT_STATUS_AUTHORISED).setPageSize(10).build()))
                .chain(r -> {
                    if (r.getConsentsCount() == 0) {
                        return say(reply, buttons("Commerce Chat may not read anything from " + t.bank() + " right now.",
                                "Link account", linkUrl(t)));
                    }
                    String body = r.getConsentsList().stream().map(c -> describe(t, c)).collect(Collectors.joining("\n"))
                            + "\nYou can end access at any time; cards made from it are then removed.";
                    return say(reply, buttons(body, "Privacy settings", "#/privacy"));
                });
    }

    private record AccountOfLink(Link link, LinkedAccount account) {}

    private static List<AccountOfLink> accountsOf(List<Link> links) {
        List<AccountOfLink> out = new ArrayList<>();
        for (Link l : links) {
            for (LinkedAccount a : l.getAccountsList()) {
                if (out.size() < MAX_CARDS) {
                    out.add(new AccountOfLink(l, a));
                }
            }
        }
        return out;
    }

    private Uni<Void> card(Reply reply, AccountOfLink from, String title, List<String> lines, Instant asOf) {
        MessageContent card = MessageContent.newBuilder().setAccountCard(AccountCard.newBuilder()
                .setCardId(UUID.randomUUID().toString()).setAccountDisplayName(from.account().getDisplayName())
                .setMaskedNumber(from.account().getMaskedNumber()).setTitle(title).addAllLines(lines)
                .setAsOf(ProtoTime.of(asOf))).build();
        return post(reply, card, from.link().getConsentId());
    }

    private Uni<Void> say(Reply reply, MessageContent content) {
        return post(reply, content, null);
    }

    /** The answer's next message; the first one already written (by another run) stops this run. */
    private Uni<Void> post(Reply reply, MessageContent content, String consentId) {
        String clientMessageId = reply.nextClientMessageId();
        boolean first = reply.parts == 1;
        return messages.postAsAssistant(reply.t.conversation().id, clientMessageId, content, ChatMessage.Visibility.PERSON_ONLY,
                        UpdateTag.UPDATE_TAG_UNSPECIFIED, consentId)
                // the other run's first message may differ from this one (a card's id, a balance read later)
                .onFailure(f -> first && MessageService.isClientMessageIdReused(f))
                .transform(f -> new AlreadyAnswered())
                // a first card refused because its consent ended was not written (the refused row is deleted): the
                // notice saying so takes its place, so that a retry finds the answer
                .onFailure(f -> first && MessageService.isCardConsentEnded(f))
                .invoke(() -> reply.parts = 0)
                .invoke(sent -> {
                    if (first && sent.duplicate()) {
                        throw new AlreadyAnswered();
                    }
                })
                .replaceWithVoid();
    }

    static MessageContent menu(Target t) {
        QuickReplies.Builder q = QuickReplies.newBuilder().setBody("I'm the " + t.bank()
                + " assistant (automated). What would you like to do?");
        for (Request r : List.of(Request.LINK_ACCOUNT, Request.SHOW_BALANCE, Request.RECENT_TRANSACTIONS, Request.MANAGE_ACCESS)) {
            q.addOptions(QuickReply.newBuilder().setLabel(r.label).setPayload(r.payload()));
        }
        return MessageContent.newBuilder().setQuickReplies(q).build();
    }

    static MessageContent linkOffer(Target t) {
        return buttons("To see your balance and transactions here, link your " + t.bank() + " account. You choose what may"
                + " be read, for what and for how long, and approve at " + t.bank() + ".", "Link account", linkUrl(t));
    }

    /** The web client's link flow for this bank (an in-app address). */
    public static String linkUrl(Business bank) {
        return "#/link?bank=" + bank.partnerBankId;
    }

    private static String linkUrl(Target t) {
        return linkUrl(t.business());
    }

    static MessageContent buttons(String body, String label, String url) {
        return MessageContent.newBuilder().setButtons(Buttons.newBuilder().setBody(body)
                .addButtons(Button.newBuilder().setLabel(label).setUrl(url))).build();
    }

    private static String sorry(Target t, ChatFailure f) {
        if (PeerTimes.isUnusable(f)) {
            return "I can't show this right now: the answer I got carried a date I can't read. Please try again later.";
        }
        return switch (f.kind()) {
            case FORBIDDEN -> "I can't show this: " + f.getMessage() + ". You can link your account again to allow it.";
            case UNAVAILABLE -> t.bank() + " can't be reached right now. Please try again in a minute.";
            default -> "I couldn't do that: " + f.getMessage();
        };
    }

    private static Instant expiry(Link l) {
        Instant e = PeerTimes.from(l.getExpiresAt(), "expires_at");
        return e == null ? Instant.now() : e;
    }

    private static String describe(Target t, Consent c) {
        String what = c.getPermissionsList().stream().map(p -> words(p, "PERMISSION_", "other data")).collect(Collectors.joining(", "));
        String why = c.getPurposesList().stream().map(p -> words(p, "PURPOSE_", "another purpose")).collect(Collectors.joining(", "));
        Instant until = PeerTimes.from(c.getExpiresAt(), "expires_at");
        return t.bank() + " data Commerce Chat may read: " + what + "; for " + why
                + (until == null ? "" : "; until " + DATE.format(until)) + ".";
    }

    /** "BALANCE_TYPE_AVAILABLE" as "available"; {@code unknown} for a value newer than this build (a bank may send one). */
    private static String words(Enum<?> value, String prefix, String unknown) {
        String name = ProtoEnums.name(value, prefix);
        return name == null ? unknown : name.toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    static String line(Balance b) {
        String type = words(b.getType(), "BALANCE_TYPE_", "balance");
        return Character.toUpperCase(type.charAt(0)) + type.substring(1) + "  " + money(b.getAmount());
    }

    static String line(Transaction tx) {
        Instant at = PeerTimes.from(tx.getBookedAt(), "booked_at");
        String what = tx.getMerchantName().isEmpty() ? tx.getDescription() : tx.getMerchantName();
        return (at == null ? "" : DAY.format(at) + "  ") + what + "  " + money(tx.getAmount());
    }

    static String money(Money m) {
        BigDecimal value = BigDecimal.valueOf(m.getUnits()).add(BigDecimal.valueOf(m.getNanos(), 9));
        try {
            NumberFormat f = NumberFormat.getCurrencyInstance(Locale.UK);
            f.setCurrency(Currency.getInstance(m.getCurrency()));
            return f.format(value);
        } catch (IllegalArgumentException unknownCurrency) {
            return m.getCurrency() + " " + value.toPlainString();
        }
    }
}
