package v1

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// linkView is the PaymentLink object.
type linkView struct {
	ID           string  `json:"id"`
	Object       string  `json:"object"`
	Slug         string  `json:"slug"`
	Title        string  `json:"title"`
	Description  *string `json:"description"`
	FiatAmount   string  `json:"fiatAmount"`
	FiatCurrency string  `json:"fiatCurrency"`
	SuccessURL   *string `json:"successUrl"`
	CancelURL    *string `json:"cancelUrl"`
	Active       bool    `json:"active"`
	// CaptureMethod is "manual" for a link whose payments are authorized
	// only, absent otherwise (the seed's shape of an automatic link).
	CaptureMethod string `json:"captureMethod,omitempty"`
	CheckoutURL   string `json:"checkoutUrl"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
}

func (h *Handler) renderLink(l *paylinks.Link) linkView {
	return linkView{ID: formatID(prefixLink, l.ID), Object: "payment_link", Slug: l.Slug, Title: l.Title,
		Description: nullable(l.Description), FiatAmount: paylinks.FormatDecimal(l.Amount, l.Currency),
		FiatCurrency: l.Currency, SuccessURL: nullable(l.SuccessURL), CancelURL: nullable(l.CancelURL),
		Active: l.Active, CaptureMethod: captureMethod(l), CheckoutURL: h.publicURL + "/l/" + l.Slug,
		CreatedAt: formatTime(l.CreatedAt), UpdatedAt: formatTime(l.UpdatedAt)}
}

func captureMethod(l *paylinks.Link) string {
	if l.ManualCapture {
		return "manual"
	}
	return ""
}

// linkID reads the {id} path value as a payment link id.
func linkID(q *request) (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, ok := parseID(prefixLink, raw)
	if !ok {
		return id, raw, notFound("payment link", raw)
	}
	return id, raw, nil
}

// CreateLink serves POST /api/v1/payment_links.
func (h *Handler) CreateLink(w http.ResponseWriter, q *request) error {
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "title", "description", "fiatAmount", "fiatCurrency", "successUrl", "cancelUrl", "slug", "captureMethod"); err != nil {
		return err
	}
	lp := service.LinkParams{Multiple: true}
	if lp.Title, err = b.required("", "title"); err != nil {
		return err
	}
	amount, err := b.required("", "fiatAmount")
	if err != nil {
		return err
	}
	lp.Currency = "USD"
	if c, err := b.optional("", "fiatCurrency"); err != nil {
		return err
	} else if c != nil {
		if lp.Currency, err = currency("fiatCurrency", *c); err != nil {
			return err
		}
	}
	if lp.Amount, err = money("fiatAmount", amount, lp.Currency); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"description", &lp.Description}, {"successUrl", &lp.SuccessURL}, {"cancelUrl", &lp.CancelURL}} {
		v, err := b.clearable("", f.name) // null: not set
		if err != nil {
			return err
		}
		if v != nil {
			*f.dst = *v
		}
	}
	if s, err := b.optional("", "slug"); err != nil {
		return err
	} else if s != nil {
		if *s == "" {
			return invalid("slug", "slug must not be empty")
		}
		lp.Slug = *s
	}
	if m, err := b.optional("", "captureMethod"); err != nil {
		return err
	} else if m != nil {
		switch *m {
		case "automatic":
		case "manual":
			lp.ManualCapture = true
		default:
			return invalid("captureMethod", "captureMethod must be automatic or manual")
		}
	}
	l, err := h.svc.CreateLink(q.Context(), q.pr, lp)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusCreated, h.renderLink(l))
	return nil
}

// ListLinks serves GET /api/v1/payment_links: newest first, by cursor.
func (h *Handler) ListLinks(w http.ResponseWriter, q *request) error {
	limit, after, err := cursorPage(q.Request, prefixLink)
	if err != nil {
		return err
	}
	p, err := h.svc.LinkPage(q.Context(), q.pr, service.CursorPage{Limit: limit, After: after})
	if err != nil {
		return err
	}
	out := list[linkView]{Data: make([]linkView, len(p.Items)), HasMore: p.HasMore}
	for i := range p.Items {
		out.Data[i] = h.renderLink(&p.Items[i])
	}
	if p.HasMore {
		out.NextCursor = &out.Data[len(out.Data)-1].ID
	}
	api.WriteJSON(w, q.Request, http.StatusOK, out)
	return nil
}

// GetLink serves GET /api/v1/payment_links/{id}.
func (h *Handler) GetLink(w http.ResponseWriter, q *request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	l, err := h.svc.GetLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l))
	return nil
}

// UpdateLink serves PATCH /api/v1/payment_links/{id}: only the members
// given change; null clears description, successUrl and cancelUrl.
func (h *Handler) UpdateLink(w http.ResponseWriter, q *request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "title", "description", "fiatAmount", "fiatCurrency", "successUrl", "cancelUrl", "active"); err != nil {
		return err
	}
	var u service.LinkUpdate
	if u.Title, err = b.optional("", "title"); err != nil {
		return err
	}
	if u.AmountDecimal, err = b.optional("", "fiatAmount"); err != nil {
		return err
	}
	if u.Currency, err = b.optional("", "fiatCurrency"); err != nil {
		return err
	}
	if u.Description, err = b.clearable("", "description"); err != nil {
		return err
	}
	if u.SuccessURL, err = b.clearable("", "successUrl"); err != nil {
		return err
	}
	if u.CancelURL, err = b.clearable("", "cancelUrl"); err != nil {
		return err
	}
	if u.Active, err = b.boolean("active"); err != nil {
		return err
	}
	if u.AmountDecimal != nil {
		// The exact parse needs the currency, which may be the link's
		// current one: the service parses; here only the shape is checked.
		if !positiveDecimal(*u.AmountDecimal) {
			return paylinks.Invalid("invalid_amount", "fiatAmount", "fiatAmount must be a positive decimal string like \"99.00\", without symbols or exponents")
		}
	}
	l, err := h.svc.UpdateLink(q.Context(), q.pr, id, raw, u)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(l))
	return nil
}

// deletedView is the answer of a DELETE.
type deletedView struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// DeleteLink serves DELETE /api/v1/payment_links/{id}.
func (h *Handler) DeleteLink(w http.ResponseWriter, q *request) error {
	id, raw, err := linkID(q)
	if err != nil {
		return err
	}
	l, err := h.svc.DeleteLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, deletedView{ID: formatID(prefixLink, l.ID), Object: "payment_link", Deleted: true})
	return nil
}
