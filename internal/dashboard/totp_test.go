package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

var (
	totpSecretRE = regexp.MustCompile(`id="totp-secret" class="mono" readonly value="([A-Z2-7]+)"`)
	ticketRE     = regexp.MustCompile(`name="ticket" value="([^"]+)"`)
	recoveryRE   = regexp.MustCompile(`<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>`)
)

// code returns the TOTP code of secret at the clock's time (RFC 6238,
// through the library authenticator apps agree with).
func code(t *testing.T, secret string, clock *servertest.Clock) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signInTicket signs in with the password in a fresh browser and returns
// it with the ticket of the code step.
func signInTicket(t *testing.T, env *servertest.Env, email string) (*browser, string) {
	t.Helper()
	b := newBrowser(t, env.URL)
	p := b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {email}, "password": {password}})
	m := ticketRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || strings.Contains(strings.Join(p.header.Values("Set-Cookie"), ";"), "pl_dash=") {
		t.Fatalf("password step: %d, want the code form and no session\n%s", p.status, p.body)
	}
	return b, m[1]
}

func (b *browser) sendCode(ticket, code string) page {
	b.t.Helper()
	return b.submit("/dashboard/signin", "/dashboard/signin/code", url.Values{"ticket": {ticket}, "code": {code}})
}

// TestTOTP: a user enrols an authenticator app (QR code and key, confirmed
// with a code), gets recovery codes once; sign-in then asks for a code
// after the password; a code is accepted once (replay refused), a wrong
// one refused, a recovery code works once; an expired or forged ticket
// starts nothing; the factor is turned off with a code.
func TestTOTP(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, clock := newEnv(t, backend)
			const email = "two@example.com"
			b := newUser(t, env, "acme", email, paylinks.RoleViewer) // viewers may protect their sign-in too
			const sec = "/dashboard/security"
			if p := b.get(sec); p.status != http.StatusOK || !strings.Contains(p.body, "Set up two-step sign-in") {
				t.Fatalf("security page: %d", p.status)
			}
			// CSRF: no enrolment without the token.
			if p := b.post(sec+"/totp", url.Values{}); p.status != http.StatusForbidden {
				t.Errorf("enrol without CSRF token: %d, want 403", p.status)
			}
			p := b.submit(sec, sec+"/totp", url.Values{})
			m := totpSecretRE.FindStringSubmatch(p.body)
			if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, `<svg class="qr"`) {
				t.Fatalf("enrol: %d, want a QR code and the key\n%s", p.status, p.body)
			}
			secret := m[1]
			// The page shown again keeps the same key.
			if p := b.get(sec); !strings.Contains(p.body, secret) {
				t.Errorf("security page during set-up: the key changed or vanished")
			}
			// Not on until confirmed: sign-in still takes the password alone.
			wantRedirect(t, newBrowser(t, env.URL).submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {email}, "password": {password}}),
				http.StatusSeeOther, "/dashboard/links")
			if p := b.submit(sec, sec+"/totp/confirm", url.Values{"code": {"000000"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="code-err"`) {
				t.Errorf("confirm with a wrong code: %d, want 400 beside the field", p.status)
			}
			p = b.submit(sec, sec+"/totp/confirm", url.Values{"code": {code(t, secret, clock)}})
			codes := recoveryRE.FindAllStringSubmatch(p.body, -1)
			if p.status != http.StatusOK || len(codes) != service.RecoveryCodeCount {
				t.Fatalf("confirm: %d, %d recovery codes, want %d\n%s", p.status, len(codes), service.RecoveryCodeCount, p.body)
			}
			if p := b.get(sec); recoveryRE.MatchString(p.body) || strings.Contains(p.body, secret) || !strings.Contains(p.body, "10 recovery code(s) left") {
				t.Errorf("security page after set-up: recovery codes or key shown again, or no count")
			}
			// The code that confirmed cannot sign in (its step is spent).
			br, ticket := signInTicket(t, env, email)
			if p := br.sendCode(ticket, code(t, secret, clock)); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "used already") {
				t.Errorf("replay of the confirming code: %d, want 401\n%s", p.status, p.body)
			}
			if p := br.sendCode(ticket, "123456"); p.status != http.StatusUnauthorized {
				t.Errorf("a wrong code: %d, want 401", p.status)
			}
			// The next step's code signs in, once.
			clock.Add(30 * time.Second)
			c := code(t, secret, clock)
			wantRedirect(t, br.sendCode(ticket, c), http.StatusSeeOther, "/dashboard/links")
			if p := br.get("/dashboard/links"); p.status != http.StatusOK {
				t.Errorf("signed in with a code: links page %d", p.status)
			}
			clock.Add(time.Minute) // refill the per-user sign-in limit
			br2, ticket2 := signInTicket(t, env, email)
			if p := br2.sendCode(ticket2, c); p.status != http.StatusUnauthorized {
				t.Errorf("the same code in another sign-in: %d, want 401", p.status)
			}
			// A recovery code works once.
			wantRedirect(t, br2.sendCode(ticket2, strings.ToUpper(codes[3][1])), http.StatusSeeOther, "/dashboard/links")
			clock.Add(time.Minute)
			br3, ticket3 := signInTicket(t, env, email)
			if p := br3.sendCode(ticket3, codes[3][1]); p.status != http.StatusUnauthorized {
				t.Errorf("a recovery code used twice: %d, want 401", p.status)
			}
			// A forged ticket, an expired one: sign in again.
			forged := []byte(ticket3)
			forged[len(forged)-3] ^= 1
			clock.Add(30 * time.Second)
			if p := br3.sendCode(string(forged), code(t, secret, clock)); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Sign in again") {
				t.Errorf("forged ticket: %d, want 401 asking to sign in again", p.status)
			}
			clock.Add(service.SecondFactorTTL)
			if p := br3.sendCode(ticket3, code(t, secret, clock)); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Sign in again") {
				t.Errorf("expired ticket: %d, want 401 asking to sign in again", p.status)
			}
			// Refused codes and tickets started no session.
			wantRedirect(t, br3.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")

			// Turning it off takes a code.
			if p := b.submit(sec, sec+"/totp/disable", url.Values{"code": {"999999"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="disable-err"`) {
				t.Errorf("disable with a wrong code: %d, want 400", p.status)
			}
			clock.Add(30 * time.Second)
			wantRedirect(t, b.submit(sec, sec+"/totp/disable", url.Values{"code": {code(t, secret, clock)}}), http.StatusSeeOther, sec+"?done=off")
			clock.Add(time.Minute)
			wantRedirect(t, newBrowser(t, env.URL).submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {email}, "password": {password}}),
				http.StatusSeeOther, "/dashboard/links")
		})
	}
}

// TestSignOutEverywhere: from the Security page, every session of the
// user ends, on every browser; another user's sessions stay.
func TestSignOutEverywhere(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			laptop := newUser(t, env, "acme", "me@example.com", paylinks.RoleOwner)
			phone := newBrowser(t, env.URL)
			wantRedirect(t, phone.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"me@example.com"}, "password": {password}}),
				http.StatusSeeOther, "/dashboard/links")
			colleague := newUser(t, env, "acme", "colleague@example.com", paylinks.RoleOwner)
			if p := laptop.get("/dashboard/security"); !strings.Contains(p.body, `name="everywhere" value="1"`) {
				t.Fatalf("security page lacks the sign-out-everywhere form")
			}
			// Without the CSRF token: refused, every session stays.
			if p := laptop.post("/dashboard/signout", url.Values{"everywhere": {"1"}}); p.status != http.StatusForbidden {
				t.Errorf("sign out everywhere without CSRF token: %d, want 403", p.status)
			}
			if p := phone.get("/dashboard/links"); p.status != http.StatusOK {
				t.Fatalf("phone after a refused sign-out: %d", p.status)
			}
			wantRedirect(t, laptop.submit("/dashboard/security", "/dashboard/signout", url.Values{"everywhere": {"1"}}), http.StatusSeeOther, "/dashboard/signin")
			for _, b := range []*browser{laptop, phone} {
				wantRedirect(t, b.get("/dashboard/links"), http.StatusSeeOther, "/dashboard/signin")
			}
			if p := colleague.get("/dashboard/links"); p.status != http.StatusOK {
				t.Errorf("another user's session after sign-out everywhere: %d, want 200", p.status)
			}
		})
	}
}
