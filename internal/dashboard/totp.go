package dashboard

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// The Security page: two-step sign-in with an authenticator app (TOTP),
// its recovery codes, and sign-out everywhere. Every user may use it,
// viewers too: it is about their own sign-in, not the account.

type securityData struct {
	TOTP *paylinks.UserTOTP // nil: off
	// Enrol is the pending enrolment shown (QR code and secret).
	Enrol *service.TOTPEnrolment
	QR    template.HTML
	// Codes are the recovery codes just made, shown once.
	Codes []string
}

// Security serves GET /dashboard/security.
func (h *Handler) Security(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Security")
	v.Nav = "security"
	switch r.URL.Query().Get("done") {
	case "off":
		v.Notice = "Two-step sign-in is off."
	case "cancel":
		v.Notice = "Set-up cancelled."
	}
	h.securityPage(w, r, s, v, http.StatusOK, securityData{})
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, s *session, v *view, status int, d securityData) {
	t, err := h.svc.TOTPStatus(r.Context(), s.user)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d.TOTP = t
	if d.Enrol == nil && t != nil && t.ConfirmedAt == nil {
		// A set-up in progress: show its QR code again.
		if d.Enrol, err = h.svc.PendingTOTP(r.Context(), s.user); err != nil {
			h.fail(w, r, s, err)
			return
		}
	}
	if d.Enrol != nil {
		if d.QR, err = qrSVG(d.Enrol.URI); err != nil {
			h.fail(w, r, s, err)
			return
		}
	}
	v.Data = d
	h.render(w, r, status, "security", v)
}

// BeginTOTP serves POST /dashboard/security/totp: a new secret, shown as a
// QR code and as text, to confirm with a code.
func (h *Handler) BeginTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := h.svc.BeginTOTP(r.Context(), s.user)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	v := h.newView(s, "Security")
	v.Nav = "security"
	h.securityPage(w, r, s, v, http.StatusOK, securityData{Enrol: e})
}

// ConfirmTOTP serves POST /dashboard/security/totp/confirm: with a right
// code, two-step sign-in is on and the recovery codes are shown once.
func (h *Handler) ConfirmTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Security")
	v.Nav = "security"
	codes, err := h.svc.ConfirmTOTP(r.Context(), s.user, r.PostFormValue("code"))
	if err != nil {
		if fieldErrors(v, err) {
			h.securityPage(w, r, s, v, http.StatusBadRequest, securityData{})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	v.Notice = "Two-step sign-in is on. Save your recovery codes now: they are shown only this once."
	h.securityPage(w, r, s, v, http.StatusOK, securityData{Codes: codes})
}

// DisableTOTP serves POST /dashboard/security/totp/disable: with a current
// code (or a recovery code) two-step sign-in is turned off.
func (h *Handler) DisableTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.svc.DisableTOTP(r.Context(), s.user, r.PostFormValue("code")); err != nil {
		v := h.newView(s, "Security")
		v.Nav = "security"
		if fieldErrors(v, err) {
			v.Errors["disable_code"] = v.Errors["code"]
			delete(v.Errors, "code")
			h.securityPage(w, r, s, v, http.StatusBadRequest, securityData{})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/security?done=off", http.StatusSeeOther)
}

// CancelTOTP serves POST /dashboard/security/totp/cancel: it drops a
// set-up in progress.
func (h *Handler) CancelTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.svc.CancelTOTP(r.Context(), s.user); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/security?done=cancel", http.StatusSeeOther)
}

// secondFactorPage asks for the code after a right password.
func (h *Handler) secondFactorPage(w http.ResponseWriter, r *http.Request, status int, ticket, msg string) {
	v := h.newView(nil, "Two-step sign-in")
	v.CSRF = h.preToken(w, r)
	v.Form["ticket"] = ticket
	v.Errors["code"] = msg
	h.render(w, r, status, "signin_totp", v)
}

// SignInCode serves POST /dashboard/signin/code: the second step of a
// sign-in, with the ticket of the first and a code of the user's app (or
// a recovery code). It counts against the same limits as passwords.
func (h *Handler) SignInCode(w http.ResponseWriter, r *http.Request) {
	if !h.checkPre(w, r) {
		h.message(w, r, nil, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	ticket := r.PostFormValue("ticket")
	// The ticket starts with the user's id: the per-user limit holds
	// across tickets.
	key := "totp:" + ticket[:min(len(ticket), 21)]
	if wait := h.limits.admit(r.Context(), key, h.clientIP(r), h.svc.Now()); wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
		h.secondFactorPage(w, r, http.StatusTooManyRequests, ticket, "Too many attempts. Wait a minute and try again.")
		return
	}
	_, sess, token, err := h.svc.SignInSecondFactor(r.Context(), ticket, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		switch paylinks.KindOf(err) {
		case paylinks.KindInvalid:
			h.secondFactorPage(w, r, http.StatusUnauthorized, ticket, paylinks.AsError(err).Message)
		case paylinks.KindUnauthenticated:
			h.message(w, r, nil, http.StatusUnauthorized, "Sign in again", "This sign-in took too long or is not valid. Sign in again with your password.")
		default:
			h.fail(w, r, nil, err)
		}
		return
	}
	h.setCookie(w, r, sessionCookie, token, sess.ExpiresAt.Sub(sess.CreatedAt))
	http.Redirect(w, r, "/dashboard/links", http.StatusSeeOther)
}

// asSecondFactor reports whether err asks for a second factor, and its ticket.
func asSecondFactor(err error) (string, bool) {
	var sf *service.SecondFactorRequired
	if errors.As(err, &sf) {
		return sf.Ticket, true
	}
	return "", false
}
