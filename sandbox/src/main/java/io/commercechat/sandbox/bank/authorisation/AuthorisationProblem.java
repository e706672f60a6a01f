package io.commercechat.sandbox.bank.authorisation;

/** Something the person can fix or must know on the authorisation page (shown as HTML, never a 500). */
public class AuthorisationProblem extends RuntimeException {

    private final int httpStatus;

    public AuthorisationProblem(int httpStatus, String message) {
        super(message, null, false, false);
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
