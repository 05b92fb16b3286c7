package v1

import (
	"encoding/json"
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

const prefixEndpoint = "we_"

// endpointView is the WebhookEndpoint object. Secret is set only in the
// answers of create and rotate_secret.
type endpointView struct {
	ID          string   `json:"id"`
	Object      string   `json:"object"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description *string  `json:"description"`
	Format      string   `json:"format"`
	Disabled    bool     `json:"disabled"`
	DisabledAt  *string  `json:"disabledAt"`
	Livemode    bool     `json:"livemode"`
	Secret      string   `json:"secret,omitempty"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
}

func renderEndpoint(e *paylinks.WebhookEndpoint, withSecret bool) endpointView {
	v := endpointView{ID: formatID(prefixEndpoint, e.ID), Object: "webhook_endpoint", URL: e.URL, Events: e.Events,
		Description: nullable(e.Description), Format: e.Format, Disabled: e.DisabledAt != nil,
		DisabledAt: formatTimePtr(e.DisabledAt), Livemode: e.Livemode, CreatedAt: formatTime(e.CreatedAt),
		UpdatedAt: formatTime(e.UpdatedAt)}
	if v.Events == nil {
		v.Events = []string{}
	}
	if withSecret {
		v.Secret = e.Secret
	}
	return v
}

// endpointParamNames renames the service's parameters for the endpoints.
var endpointParamNames = map[string]string{"after": "starting_after"}

// EndpointParams names the request fields of the webhook endpoints, for
// Route.
var EndpointParams = endpointParamNames

func endpointID(q *request) (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, ok := parseID(prefixEndpoint, raw)
	if !ok {
		return id, raw, notFound("webhook endpoint", raw)
	}
	return id, raw, nil
}

// endpointParams decodes the members of a create or update.
func endpointParams(b body, create bool) (service.WebhookEndpointParams, error) {
	var p service.WebhookEndpointParams
	allowed := []string{"url", "events", "description", "format"}
	if !create {
		allowed = append(allowed, "disabled")
	}
	if err := b.only("", allowed...); err != nil {
		return p, err
	}
	var err error
	if create {
		u, err := b.required("", "url")
		if err != nil {
			return p, err
		}
		p.URL = &u
	} else if p.URL, err = b.optional("", "url"); err != nil {
		return p, err
	}
	if raw, ok := b["events"]; ok {
		if isNull(raw) || json.Unmarshal(raw, &p.Events) != nil || p.Events == nil {
			return p, invalid("events", `events must be ["*"] or a list of event type strings`)
		}
	} else if create {
		p.Events = []string{"*"}
	}
	if d, err := b.clearable("", "description"); err != nil {
		return p, err
	} else if d != nil {
		p.Description = d
	}
	if p.Format, err = b.optional("", "format"); err != nil {
		return p, err
	}
	if !create {
		if p.Disabled, err = b.boolean("disabled"); err != nil {
			return p, err
		}
	}
	return p, nil
}

// CreateEndpoint serves POST /api/v1/webhook_endpoints.
func (h *Handler) CreateEndpoint(w http.ResponseWriter, q *request) error {
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	p, err := endpointParams(b, true)
	if err != nil {
		return err
	}
	e, err := h.svc.CreateWebhookEndpoint(q.Context(), q.pr, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusCreated, renderEndpoint(e, true))
	return nil
}

// ListEndpoints serves GET /api/v1/webhook_endpoints.
func (h *Handler) ListEndpoints(w http.ResponseWriter, q *request) error {
	limit, after, err := cursorPage(q.Request, prefixEndpoint)
	if err != nil {
		return err
	}
	p, err := h.svc.WebhookEndpointPage(q.Context(), q.pr, service.CursorPage{Limit: limit, After: after})
	if err != nil {
		return err
	}
	out := list[endpointView]{Data: make([]endpointView, len(p.Items)), HasMore: p.HasMore}
	for i := range p.Items {
		out.Data[i] = renderEndpoint(&p.Items[i], false)
	}
	if p.HasMore {
		out.NextCursor = &out.Data[len(out.Data)-1].ID
	}
	api.WriteJSON(w, q.Request, http.StatusOK, out)
	return nil
}

// GetEndpoint serves GET /api/v1/webhook_endpoints/{id}.
func (h *Handler) GetEndpoint(w http.ResponseWriter, q *request) error {
	id, raw, err := endpointID(q)
	if err != nil {
		return err
	}
	e, err := h.svc.WebhookEndpoint(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, renderEndpoint(e, false))
	return nil
}

// UpdateEndpoint serves PATCH /api/v1/webhook_endpoints/{id}.
func (h *Handler) UpdateEndpoint(w http.ResponseWriter, q *request) error {
	id, raw, err := endpointID(q)
	if err != nil {
		return err
	}
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	p, err := endpointParams(b, false)
	if err != nil {
		return err
	}
	e, err := h.svc.UpdateWebhookEndpoint(q.Context(), q.pr, id, raw, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, renderEndpoint(e, false))
	return nil
}

// DeleteEndpoint serves DELETE /api/v1/webhook_endpoints/{id}.
func (h *Handler) DeleteEndpoint(w http.ResponseWriter, q *request) error {
	id, raw, err := endpointID(q)
	if err != nil {
		return err
	}
	e, err := h.svc.DeleteWebhookEndpoint(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, deletedView{ID: formatID(prefixEndpoint, e.ID), Object: "webhook_endpoint", Deleted: true})
	return nil
}

// RotateEndpointSecret serves POST /api/v1/webhook_endpoints/{id}/rotate_secret:
// the endpoint with its new secret; the old one signs beside it for 24 h.
func (h *Handler) RotateEndpointSecret(w http.ResponseWriter, q *request) error {
	id, raw, err := endpointID(q)
	if err != nil {
		return err
	}
	e, err := h.svc.RotateWebhookSecret(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, renderEndpoint(e, true))
	return nil
}

// TestEndpoint serves POST /api/v1/webhook_endpoints/{id}/test: a synthetic
// webhook_endpoint.test event, delivered to that endpoint only.
func (h *Handler) TestEndpoint(w http.ResponseWriter, q *request) error {
	id, raw, err := endpointID(q)
	if err != nil {
		return err
	}
	ev, err := h.svc.TestWebhookEndpoint(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	v, err := h.renderEvent(ev)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusCreated, v)
	return nil
}
