package omise

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// token is Omise's Token object.
type token struct {
	Object       string `json:"object"`
	ID           string `json:"id"`
	Livemode     bool   `json:"livemode"`
	Location     string `json:"location"`
	Used         bool   `json:"used"`
	ChargeStatus string `json:"charge_status"`
	Card         card   `json:"card"`
	CreatedAt    string `json:"created_at,omitempty"`
	Created      string `json:"created,omitempty"`
}

// renderToken renders a token in the caller's version.
func (q *request) renderToken(t *paylinks.Token) token {
	id := formatID(prefixToken, t.Livemode, t.ID)
	v := token{Object: "token", ID: id, Livemode: t.Livemode, Location: "/tokens/" + id, Used: t.Used,
		ChargeStatus: t.ChargeStatus, Card: q.renderCard(&t.Card, t.CardID, t.Livemode, t.CreatedAt)}
	if v.ChargeStatus == "" {
		v.ChargeStatus = "unknown"
	}
	if q.modern() {
		v.CreatedAt = formatTime(t.CreatedAt)
	} else {
		v.Created = formatTime(t.CreatedAt)
	}
	return v
}

// decodeTokenCard reads the card[...] parameters of POST /tokens (form
// brackets or a JSON "card" object). Which fields are valid is the
// service's concern; this only types them.
func decodeTokenCard(p params) (service.CardInput, error) {
	var in service.CardInput
	c, err := p.sub("card")
	if err != nil {
		return in, paylinks.Invalid("invalid_card", "card", "card must be an object with name, number, expiration_month and expiration_year")
	}
	if c == nil {
		return in, paylinks.Invalid("invalid_card", "card", "card is required")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"number", &in.Number}, {"name", &in.Name}, {"security_code", &in.SecurityCode}} {
		if *f.dst, err = c.str(f.name); err != nil {
			return in, paylinks.Invalid("invalid_card", f.name, "card[%s] must be a string", f.name)
		}
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"expiration_month", &in.ExpirationMonth}, {"expiration_year", &in.ExpirationYear}} {
		s, err := c.str(f.name)
		if err != nil {
			return in, paylinks.Invalid("invalid_card", f.name, "card[%s] must be an integer", f.name)
		}
		if s = strings.TrimSpace(s); s == "" {
			return in, paylinks.Invalid("invalid_card", f.name, "card[%s] is required", f.name)
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 9999 {
			return in, paylinks.Invalid("invalid_card", f.name, "card[%s] must be an integer", f.name)
		}
		*f.dst = n
	}
	return in, nil
}

// CreateToken serves POST /tokens (public key only, as the vault host).
func (h *Handler) CreateToken(w http.ResponseWriter, q *request) error {
	in, err := decodeTokenCard(q.params)
	if err != nil {
		return err
	}
	t, err := h.svc.CreateToken(q.Context(), q.pr, in)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, q.renderToken(t))
	return nil
}

// GetToken serves GET /tokens/{id}.
func (h *Handler) GetToken(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixToken, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	t, err := h.svc.GetToken(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, q.renderToken(t))
	return nil
}
