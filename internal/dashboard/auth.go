package dashboard

import (
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// SignInPage serves GET /dashboard/signin.
func (h *Handler) SignInPage(w http.ResponseWriter, r *http.Request) {
	v := h.newView(nil, "Sign in")
	v.CSRF = h.preToken(w, r)
	if r.URL.Query().Get("set") == "1" {
		v.Notice = "Your password is set. Sign in with it."
	}
	h.render(w, r, http.StatusOK, "signin", v)
}

// SignIn serves POST /dashboard/signin: it checks the CSRF token and the
// sign-in limits, then the email and password, and starts a session.
func (h *Handler) SignIn(w http.ResponseWriter, r *http.Request) {
	if !h.checkPre(w, r) {
		h.message(w, r, nil, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	v := h.newView(nil, "Sign in")
	v.CSRF = h.preToken(w, r)
	v.Form["email"] = email
	if wait := h.limits.admit(r.Context(), email, h.clientIP(r), h.svc.Now()); wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
		v.Error = "Too many sign-in attempts. Wait a minute and try again."
		h.render(w, r, http.StatusTooManyRequests, "signin", v)
		return
	}
	_, sess, token, err := h.svc.SignIn(r.Context(), email, r.PostFormValue("password"))
	if ticket, ok := asSecondFactor(err); ok {
		h.secondFactorPage(w, r, http.StatusOK, ticket, "")
		return
	}
	if err != nil {
		if paylinks.KindOf(err) != paylinks.KindUnauthenticated {
			h.fail(w, r, nil, err)
			return
		}
		v.Error = "The email or password is not right."
		h.render(w, r, http.StatusUnauthorized, "signin", v)
		return
	}
	h.setCookie(w, r, sessionCookie, token, sess.ExpiresAt.Sub(sess.CreatedAt))
	http.Redirect(w, r, "/dashboard/links", http.StatusSeeOther)
}

// SetupPage serves GET /dashboard/setup?token=…: the form where a new user
// sets a password. The token is in the query, not the path, so that the
// access log (which logs paths only) never holds it.
func (h *Handler) SetupPage(w http.ResponseWriter, r *http.Request) {
	v := h.newView(nil, "Set your password")
	v.CSRF = h.preToken(w, r)
	v.Form["token"] = r.URL.Query().Get("token")
	h.render(w, r, http.StatusOK, "setup", v)
}

// Setup serves POST /dashboard/setup (the token in a form field): it sets
// the password once.
func (h *Handler) Setup(w http.ResponseWriter, r *http.Request) {
	if !h.checkPre(w, r) {
		h.message(w, r, nil, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	v := h.newView(nil, "Set your password")
	v.CSRF = h.preToken(w, r)
	v.Form["token"] = r.PostFormValue("token")
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		v.Errors["confirm"] = "The two passwords differ."
		h.render(w, r, http.StatusBadRequest, "setup", v)
		return
	}
	if _, err := h.svc.SetPassword(r.Context(), v.Form["token"], pw); err != nil {
		if fieldErrors(v, err) {
			h.render(w, r, http.StatusBadRequest, "setup", v)
			return
		}
		if paylinks.KindOf(err) == paylinks.KindGone {
			h.message(w, r, nil, http.StatusGone, "This setup link has expired", "It was used already or is older than a day. Ask an owner for a new one.")
			return
		}
		h.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/dashboard/signin?set=1", http.StatusSeeOther)
}

// SignOut serves POST /dashboard/signout: it ends this session, or every
// session of the user when the form says everywhere=1.
func (h *Handler) SignOut(w http.ResponseWriter, r *http.Request, s *session) {
	var err error
	if r.PostFormValue("everywhere") == "1" {
		err = h.svc.SignOutEverywhere(r.Context(), s.user)
	} else {
		err = h.svc.SignOut(r.Context(), s.sess)
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/dashboard/signin", http.StatusSeeOther)
}

// Mode serves POST /dashboard/mode: it switches between test and live data.
func (h *Handler) Mode(w http.ResponseWriter, r *http.Request, s *session) {
	mode := "test"
	if r.PostFormValue("mode") == "live" {
		mode = "live"
	}
	h.setCookie(w, r, modeCookie, mode, service.SessionMaxTTL)
	http.Redirect(w, r, "/dashboard/links", http.StatusSeeOther)
}
