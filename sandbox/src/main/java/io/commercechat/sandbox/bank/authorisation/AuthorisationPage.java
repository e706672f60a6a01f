package io.commercechat.sandbox.bank.authorisation;

import io.commercechat.proto.accounts.v1.AccountType;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.sandbox.bank.ledger.Customer;
import io.commercechat.sandbox.bank.ledger.Ledger;
import io.commercechat.sandbox.bank.ledger.LedgerAccount;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateData;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The bank's own authorisation page, opened in the person's browser (public: the browser has no
 * mesh token; the unguessable request id is the capability). Plain server-rendered HTML, no
 * script: step 1 signs in by picking a sandbox customer, step 2 selects accounts and approves or
 * denies; the answer is a 303 redirect to the registered redirect URI.
 */
@Path("/bank/authorise")
public class AuthorisationPage {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.UK).withZone(ZoneOffset.UTC);

    private final AuthorisationDesk desk;
    private final Ledger ledger;
    private final Template page;
    private final Template problem;

    public AuthorisationPage(AuthorisationDesk desk, Ledger ledger, @Location("authorise.html") Template page,
            @Location("authorise-problem.html") Template problem) {
        this.desk = desk;
        this.ledger = ledger;
        this.page = page;
        this.problem = problem;
    }

    @TemplateData
    public record View(String requestId, String requester, List<String> permissions, List<String> purposes, String expires,
            List<CustomerOption> customers, CustomerOption customer, List<AccountOption> accounts, String error) {}

    @TemplateData
    public record CustomerOption(String id, String name) {}

    @TemplateData
    public record AccountOption(String id, String name, String kind, String currency, String maskedNumber, boolean checked) {}

    @GET
    @Produces(MediaType.TEXT_HTML)
    public Response show(@QueryParam("request") String requestId, @QueryParam("customer") String customerId) {
        try {
            PendingAuthorisation p = desk.pending(requestId);
            Customer customer = customerId == null || customerId.isEmpty() ? null
                    : ledger.customer(customerId).orElseThrow(() -> new AuthorisationProblem(400, "Choose one of the listed customers."));
            return html(200, page.data("view", view(p, customer, null, null)).render());
        } catch (AuthorisationProblem e) {
            return problem(e);
        }
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    public Response decide(@Context HttpHeaders headers, String body) {
        try {
            AuthorisationAnswer answer = AuthorisationAnswer.read(body, headers.getMediaType());
            String location;
            if ("deny".equals(answer.decision())) {
                location = desk.deny(answer.requestId());
            } else if ("approve".equals(answer.decision())) {
                try {
                    location = desk.approve(answer.requestId(), answer.customerId(), answer.accountIds());
                } catch (AuthorisationProblem e) {
                    if (e.httpStatus() != 400) {
                        throw e;
                    }
                    // show the form again with the sentence that says what to fix
                    PendingAuthorisation p = desk.pending(answer.requestId());
                    Customer customer = ledger.customer(answer.customerId()).orElse(null);
                    return html(400, page.data("view", view(p, customer, answer.accountIds(), e.getMessage())).render());
                }
            } else {
                throw new AuthorisationProblem(400, "Choose Approve or Deny.");
            }
            return secure(Response.seeOther(URI.create(location))).build();
        } catch (AuthorisationProblem e) {
            return problem(e);
        }
    }

    private View view(PendingAuthorisation p, Customer customer, List<String> checked, String error) {
        List<AccountOption> accounts = customer == null ? List.of() : ledger.accountsOf(customer.id()).stream()
                .map(a -> new AccountOption(a.id(), a.displayName(), kind(a.type()), a.currency(), masked(a),
                        checked == null || checked.contains(a.id())))
                .toList();
        return new View(p.id(), p.requesterDisplayName(),
                p.permissions().stream().map(AuthorisationPage::describe).toList(),
                p.purposes().stream().map(AuthorisationPage::describe).toList(),
                DATE.format(p.accessExpiresAt()),
                ledger.customers().stream().map(c -> new CustomerOption(c.id(), c.displayName())).toList(),
                customer == null ? null : new CustomerOption(customer.id(), customer.displayName()), accounts, error);
    }

    private Response problem(AuthorisationProblem e) {
        return html(e.httpStatus(), problem.data("message", e.getMessage()).render());
    }

    private static Response html(int status, String body) {
        return secure(Response.status(status).entity(body).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))).build();
    }

    /** A bank page: never cached, never framed (clickjacking), no referrer leaking the request id. */
    private static Response.ResponseBuilder secure(Response.ResponseBuilder r) {
        return r.header("Cache-Control", "no-store")
                .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
                .header("X-Frame-Options", "DENY")
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer");
    }

    private static String masked(LedgerAccount a) {
        String n = a.accountNumber();
        return "•••• " + n.substring(n.length() - 4);
    }

    private static String kind(AccountType type) {
        return switch (type) {
            case ACCOUNT_TYPE_CURRENT -> "Current account";
            case ACCOUNT_TYPE_SAVINGS -> "Savings account";
            case ACCOUNT_TYPE_CREDIT_CARD -> "Credit card";
            default -> "Account";
        };
    }

    static String describe(Permission p) {
        return switch (p) {
            case PERMISSION_ACCOUNTS_BASIC -> "Your account names, types and currencies";
            case PERMISSION_ACCOUNTS_DETAIL -> "Your account details (shown masked, e.g. •••• 1234)";
            case PERMISSION_BALANCES -> "Your balances";
            case PERMISSION_TRANSACTIONS -> "Your transactions";
            default -> p.name();
        };
    }

    static String describe(Purpose p) {
        return switch (p) {
            case PURPOSE_ACCOUNT_OVERVIEW -> "Showing you your own accounts in the chat";
            case PURPOSE_CUSTOMER_SERVICE -> "A bank agent helping you with data you choose to share";
            case PURPOSE_SPENDING_INSIGHTS -> "Summaries of your own spending, shown only to you";
            default -> p.name();
        };
    }
}
