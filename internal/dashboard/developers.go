package dashboard

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// The Developers pages: API keys (owner only: the service refuses a
// viewer even the list), webhook endpoints, and events with their
// deliveries. Secrets (a new key, a new or rotated endpoint secret) are
// shown once, on the page that answers the POST that made them, never in
// a URL.

type keysData struct {
	Keys   []paylinks.APIKey
	New    string // the whole key just made, shown once
	Scopes []paylinks.Scope
}

// Keys serves GET /dashboard/developers/keys.
func (h *Handler) Keys(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "API keys")
	v.Nav = "developers"
	if r.URL.Query().Get("revoked") == "1" {
		v.Notice = "Key revoked. It stops working within a few seconds."
	}
	h.keysPage(w, r, s, v, http.StatusOK, "")
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, s *session, v *view, status int, newKey string) {
	keys, err := h.svc.AccountKeys(r.Context(), s.pr)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	v.Data = keysData{Keys: keys, New: newKey, Scopes: paylinks.AllScopes}
	h.render(w, r, status, "keys", v)
}

// CreateKey serves POST /dashboard/developers/keys: it makes a secret,
// public or restricted key (with the ticked scopes) in the current mode
// and shows it once.
func (h *Handler) CreateKey(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "API keys")
	v.Nav = "developers"
	kind := paylinks.KeyKind(r.PostFormValue("kind"))
	var scopes []paylinks.Scope
	if kind == paylinks.KeyRestricted {
		for _, sc := range r.PostForm["scope"] {
			scopes = append(scopes, paylinks.Scope(sc))
		}
	}
	v.Form["kind"] = string(kind)
	_, raw, err := h.svc.CreateAccountKey(r.Context(), s.pr, kind, scopes)
	if err != nil {
		if fieldErrors(v, err) {
			h.keysPage(w, r, s, v, http.StatusBadRequest, "")
			return
		}
		h.fail(w, r, s, err)
		return
	}
	v.Notice = "Key created. Copy it now: it is shown only this once."
	h.keysPage(w, r, s, v, http.StatusOK, raw)
}

// RevokeKey serves POST /dashboard/developers/keys/{id}/revoke.
func (h *Handler) RevokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := paylinks.ParseBase36(r.PathValue("id"))
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such key.")
		return
	}
	if _, err := h.svc.RevokeAccountKey(r.Context(), s.pr, id); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/developers/keys?revoked=1", http.StatusSeeOther)
}

type webhooksData struct {
	Endpoints []paylinks.WebhookEndpoint
}

// Webhooks serves GET /dashboard/developers/webhooks: the endpoints of the
// mode, and (for an owner) the form of a new one.
func (h *Handler) Webhooks(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Webhooks")
	v.Nav = "developers"
	v.Form["events"] = "*"
	h.webhooksPage(w, r, s, v, http.StatusOK)
}

func (h *Handler) webhooksPage(w http.ResponseWriter, r *http.Request, s *session, v *view, status int) {
	page, err := h.svc.WebhookEndpointPage(r.Context(), s.pr, service.CursorPage{Limit: service.MaxListLimit})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	v.Data = webhooksData{Endpoints: page.Items}
	h.render(w, r, status, "webhooks", v)
}

// CreateWebhook serves POST /dashboard/developers/webhooks: it makes an
// endpoint through the service (the API's validations) and shows its
// secret once.
func (h *Handler) CreateWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Webhooks")
	v.Nav = "developers"
	for _, k := range []string{"url", "events", "description", "format"} {
		v.Form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	url, desc, format := v.Form["url"], v.Form["description"], v.Form["format"]
	p := service.WebhookEndpointParams{URL: &url, Description: &desc, Events: splitEvents(v.Form["events"])}
	if format != "" {
		p.Format = &format
	}
	e, err := h.svc.CreateWebhookEndpoint(r.Context(), s.pr, p)
	if err != nil {
		if fieldErrors(v, err) {
			h.webhooksPage(w, r, s, v, http.StatusBadRequest)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	v.Notice = "Endpoint created. Copy its signing secret now: it is shown only this once."
	h.webhookPage(w, r, s, v, e, e.Secret)
}

// splitEvents reads the events field: names separated by commas or spaces.
func splitEvents(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if f == nil {
		f = []string{}
	}
	return f
}

type webhookData struct {
	Endpoint *paylinks.WebhookEndpoint
	Secret   string // shown once after create or rotate
}

// Webhook serves GET /dashboard/developers/webhooks/{id}.
func (h *Handler) Webhook(w http.ResponseWriter, r *http.Request, s *session) {
	e, ok := h.endpoint(w, r, s)
	if !ok {
		return
	}
	v := h.newView(s, "Webhook endpoint")
	v.Nav = "developers"
	switch r.URL.Query().Get("done") {
	case "test":
		v.Notice = "Test event queued: it is delivered within seconds. See it under Events."
	case "disable":
		v.Notice = "Endpoint disabled: its deliveries wait until it is enabled again."
	case "enable":
		v.Notice = "Endpoint enabled."
	}
	h.webhookPage(w, r, s, v, e, "")
}

func (h *Handler) webhookPage(w http.ResponseWriter, r *http.Request, s *session, v *view, e *paylinks.WebhookEndpoint, secret string) {
	v.Data = webhookData{Endpoint: e, Secret: secret}
	h.render(w, r, http.StatusOK, "webhook", v)
}

func (h *Handler) endpoint(w http.ResponseWriter, r *http.Request, s *session) (*paylinks.WebhookEndpoint, bool) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such webhook endpoint.")
		return nil, false
	}
	e, err := h.svc.WebhookEndpoint(r.Context(), s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return nil, false
	}
	return e, true
}

// WebhookAction serves POST /dashboard/developers/webhooks/{id}/{action}:
// rotate (shows the new secret once), test, disable, enable.
func (h *Handler) WebhookAction(w http.ResponseWriter, r *http.Request, s *session) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such webhook endpoint.")
		return
	}
	ctx, action := r.Context(), r.PathValue("action")
	back := "/dashboard/developers/webhooks/" + display + "?done=" + action
	var err error
	switch action {
	case "rotate":
		e, err := h.svc.RotateWebhookSecret(ctx, s.pr, id, display)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
		v := h.newView(s, "Webhook endpoint")
		v.Nav = "developers"
		v.Notice = "Secret rotated. Copy the new one now: it is shown only this once. The old one keeps signing for 24 hours."
		h.webhookPage(w, r, s, v, e, e.Secret)
		return
	case "test":
		_, err = h.svc.TestWebhookEndpoint(ctx, s.pr, id, display)
	case "disable", "enable":
		disabled := action == "disable"
		_, err = h.svc.UpdateWebhookEndpoint(ctx, s.pr, id, display, service.WebhookEndpointParams{Disabled: &disabled})
	default:
		h.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

type eventRow struct {
	paylinks.Event
	Attempts  int
	LastCode  int
	Delivered bool
}

type eventsData struct {
	Events []eventRow
	Next   string
}

// Events serves GET /dashboard/developers/events: the mode's events,
// newest first (?after= pages), with a summary of their delivery attempts.
func (h *Handler) Events(w http.ResponseWriter, r *http.Request, s *session) {
	p := service.CursorPage{Limit: linksPerPage}
	if a := r.URL.Query().Get("after"); a != "" {
		id, ok := paylinks.ParseBase36(a)
		if !ok {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page cursor is not an event of this list.")
			return
		}
		p.After = &id
	}
	page, err := h.svc.EventPage(r.Context(), s.pr, p, nil)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	ids := make([]paylinks.ID, len(page.Items))
	for i, e := range page.Items {
		ids[i] = e.ID
	}
	attempts, err := h.svc.WebhookAttempts(r.Context(), s.pr, ids)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := eventsData{}
	for _, e := range page.Items {
		row := eventRow{Event: e}
		for _, a := range attempts[e.ID] {
			row.Attempts++
			row.LastCode = a.StatusCode
			row.Delivered = row.Delivered || a.Success
		}
		d.Events = append(d.Events, row)
	}
	if page.HasMore && len(page.Items) > 0 {
		d.Next = paylinks.FormatBase36(page.Items[len(page.Items)-1].ID)
	}
	v := h.newView(s, "Events")
	v.Nav, v.Data = "developers", d
	h.render(w, r, http.StatusOK, "events", v)
}

type eventData struct {
	Event      *paylinks.Event
	Deliveries []paylinks.WebhookDelivery
	Attempts   []paylinks.WebhookAttempt
	Endpoints  map[paylinks.ID]string // URL by endpoint id
}

// Event serves GET /dashboard/developers/events/{id}: the event, its
// deliveries and attempts, and (for an owner) the redeliver button.
func (h *Handler) Event(w http.ResponseWriter, r *http.Request, s *session) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such event.")
		return
	}
	ctx := r.Context()
	ev, err := h.svc.GetEvent(ctx, s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	ds, attempts, err := h.svc.EventDeliveries(ctx, s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	eps := map[paylinks.ID]string{}
	if page, err := h.svc.WebhookEndpointPage(ctx, s.pr, service.CursorPage{Limit: service.MaxListLimit}); err == nil {
		for _, e := range page.Items {
			eps[e.ID] = e.URL
		}
	}
	v := h.newView(s, "Event")
	v.Nav, v.Data = "developers", eventData{Event: ev, Deliveries: ds, Attempts: attempts, Endpoints: eps}
	if n := r.URL.Query().Get("redelivered"); n != "" {
		v.Notice = "Redelivery scheduled to " + n + " endpoint(s)."
	}
	h.render(w, r, http.StatusOK, "event", v)
}

// Redeliver serves POST /dashboard/developers/events/{id}/redeliver: it
// schedules the event again to every matching enabled endpoint.
func (h *Handler) Redeliver(w http.ResponseWriter, r *http.Request, s *session) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such event.")
		return
	}
	n, err := h.svc.RedeliverEvent(r.Context(), s.pr, id, display, nil, "")
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/developers/events/"+display+"?redelivered="+strconv.Itoa(n), http.StatusSeeOther)
}

// lanePages are the pages of the Developers, Settings and Security
// screens; they share the partials of templates/partials.html.
var lanePages = []string{"keys", "webhooks", "webhook", "events", "event", "settings", "security", "signin_totp"}

// parseLanePages adds lanePages to h.pages, and their styles to h.css.
func (h *Handler) parseLanePages(funcs template.FuncMap) {
	css, err := templateFS.ReadFile("templates/developers.css")
	if err != nil {
		panic(err)
	}
	h.css += template.CSS(css)
	fm := template.FuncMap{"dict": func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}}
	for k, f := range funcs {
		fm[k] = f
	}
	for _, name := range lanePages {
		t := template.New(name).Funcs(fm)
		h.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
}

// Developers serves GET /dashboard/developers: an owner's first tab is
// the API keys, a viewer's (who may not see keys) the webhooks.
func (h *Handler) Developers(w http.ResponseWriter, r *http.Request, s *session) {
	if s.user.Role == paylinks.RoleOwner {
		http.Redirect(w, r, "/dashboard/developers/keys", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/dashboard/developers/webhooks", http.StatusSeeOther)
}
