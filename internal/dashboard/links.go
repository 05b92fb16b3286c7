package dashboard

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// linksPerPage is the size of a page of the links and payments lists.
const linksPerPage = 25

type linkRow struct {
	paylinks.Link
	URL string
}

type linksData struct {
	Links    []linkRow
	Title    string // the title searched
	Status   string // the state filtered by, "" for every undeleted link
	Statuses []statusOption
	Next     template.URL // the next page, "" on the last
}

type statusOption struct{ Value, Label string }

// statusLabels name the states of the links list's filter.
var statusLabels = map[string]string{"": "All", "active": "Active", "inactive": "Inactive", "used": "Used",
	"expired": "Expired", "archived": "Archived"}

// Links serves GET /dashboard/links: the account's links in the mode,
// newest first, searched by title (?q=), filtered by state (?status=), a
// page at a time by keyset cursor (?after=).
func (h *Handler) Links(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	ls := service.LinkSearch{Title: q.Get("q"), Status: q.Get("status"), CursorPage: service.CursorPage{Limit: linksPerPage}}
	if a := q.Get("after"); a != "" {
		id, ok := paylinks.ParseBase36(a)
		if !ok {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page cursor is not a link of this list.")
			return
		}
		ls.After = &id
	}
	page, err := h.svc.FindLinks(r.Context(), s.pr, ls)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := linksData{Title: ls.Title, Status: ls.Status}
	for _, st := range service.LinkStatuses {
		d.Statuses = append(d.Statuses, statusOption{Value: st, Label: statusLabels[st]})
	}
	for _, l := range page.Items {
		d.Links = append(d.Links, linkRow{Link: l, URL: h.shareURL(&l)})
	}
	if page.HasMore && len(page.Items) > 0 {
		next := url.Values{"after": {paylinks.FormatBase36(page.Items[len(page.Items)-1].ID)}}
		if ls.Title != "" {
			next.Set("q", ls.Title)
		}
		if ls.Status != "" {
			next.Set("status", ls.Status)
		}
		d.Next = template.URL("/dashboard/links?" + next.Encode())
	}
	v := h.newView(s, "Links")
	v.Nav, v.Data = "links", d
	h.render(w, r, http.StatusOK, "links", v)
}

func (h *Handler) shareURL(l *paylinks.Link) string { return h.publicURL + "/l/" + l.Slug }

// NewLink serves GET /dashboard/links/new: the form of a new link.
func (h *Handler) NewLink(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "New link")
	v.Nav = "links"
	v.Form["currency"] = h.defaultCurrency(r, s)
	h.render(w, r, http.StatusOK, "link_new", v)
}

// CreateLink serves POST /dashboard/links: it creates the link through the
// service (the API's validations) and shows it, or the form again with
// the service's error beside its field.
func (h *Handler) CreateLink(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "New link")
	v.Nav = "links"
	for _, k := range []string{"title", "description", "amount", "currency", "success_url", "multiple"} {
		v.Form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	p := service.LinkParams{Title: v.Form["title"], Description: v.Form["description"], Currency: v.Form["currency"],
		SuccessURL: v.Form["success_url"], Multiple: v.Form["multiple"] == "1"}
	if a := v.Form["amount"]; a != "" {
		cur, _ := paylinks.NormalizeCurrency(p.Currency)
		amount, ok := paylinks.ParseDecimal(a, cur)
		if !ok || amount <= 0 {
			v.Errors["amount"] = "Type an amount like 99.00, with at most the currency's decimals, or leave it empty for the payer to choose."
			h.render(w, r, http.StatusBadRequest, "link_new", v)
			return
		}
		p.Amount = amount
	}
	l, err := h.svc.CreateLink(r.Context(), s.pr, p)
	if err != nil {
		if fieldErrors(v, err) {
			h.render(w, r, http.StatusBadRequest, "link_new", v)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/links/"+paylinks.FormatBase36(l.ID), http.StatusSeeOther)
}

type linkData struct {
	Link     *paylinks.Link
	URL      string
	QR       any // template.HTML of the QR code's SVG
	Charges  []paylinks.Charge
	Sessions []paylinks.CheckoutSession
}

// Link serves GET /dashboard/links/{id}: the link, its share URL and QR
// code, and its latest payments.
func (h *Handler) Link(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.anyLink(w, r, s)
	if !ok {
		return
	}
	url := h.shareURL(l)
	svg, err := qrSVG(url)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	cs, _, err := h.svc.ListCharges(r.Context(), s.pr, paylinks.ChargeFilter{LinkID: &l.ID, Order: paylinks.ReverseChronological, Limit: linksPerPage})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	sessions, err := h.svc.LinkSessions(r.Context(), s.pr, l.ID, linksPerPage)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	v := h.newView(s, l.Title)
	v.Nav, v.Data = "links", linkData{Link: l, URL: url, QR: svg, Charges: cs, Sessions: sessions}
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Notice = "Changes saved."
	case "activated":
		v.Notice = "The link takes payments again."
	case "deactivated":
		v.Notice = "The link is deactivated: its page takes no payment until you activate it."
	}
	h.render(w, r, http.StatusOK, "link", v)
}

// LinkQR serves GET /dashboard/links/{id}/qr.png: the QR code of the
// link's share URL as a PNG download.
func (h *Handler) LinkQR(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	png, err := qrPNG(h.shareURL(l))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `attachment; filename="`+l.Slug+`-qr.png"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(png)
}

// link returns the undeleted link named by the path's id, or answers the
// request.
func (h *Handler) link(w http.ResponseWriter, r *http.Request, s *session) (*paylinks.Link, bool) {
	l, ok := h.anyLink(w, r, s)
	if ok && l.Deleted() {
		h.message(w, r, s, http.StatusNotFound, "Not found", "This link was deleted.")
		return nil, false
	}
	return l, ok
}

// anyLink returns the link named by the path's id, deleted (archived) or
// not, or answers the request.
func (h *Handler) anyLink(w http.ResponseWriter, r *http.Request, s *session) (*paylinks.Link, bool) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such link.")
		return nil, false
	}
	l, err := h.svc.LinkOrArchived(r.Context(), s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return nil, false
	}
	return l, true
}

// EditLinkPage serves GET /dashboard/links/{id}/edit: the form that
// changes a link.
func (h *Handler) EditLinkPage(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	v := h.newView(s, "Edit "+l.Title)
	v.Nav, v.Data = "links", l
	v.Form["title"], v.Form["description"], v.Form["success_url"] = l.Title, l.Description, l.SuccessURL
	if l.Amount > 0 {
		v.Form["amount"] = paylinks.FormatDecimal(l.Amount, l.Currency)
	}
	h.render(w, r, http.StatusOK, "link_edit", v)
}

// EditLink serves POST /dashboard/links/{id}/edit: it changes the title,
// description, success URL and (when typed anew) the amount through the
// service's UpdateLink, which checks them as the API does and refuses a
// viewer; the form comes back with the service's error beside its field.
func (h *Handler) EditLink(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	v := h.newView(s, "Edit "+l.Title)
	v.Nav, v.Data = "links", l
	for _, k := range []string{"title", "description", "amount", "success_url"} {
		v.Form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	u := service.LinkUpdate{Title: new(v.Form["title"]), Description: new(v.Form["description"]), SuccessURL: new(v.Form["success_url"])}
	was := ""
	if l.Amount > 0 {
		was = paylinks.FormatDecimal(l.Amount, l.Currency)
	}
	if a := v.Form["amount"]; a != was {
		if a == "" {
			u.Amount = new(int64(0))
		} else {
			u.AmountDecimal = &a
		}
	}
	if _, err := h.svc.UpdateLink(r.Context(), s.pr, l.ID, r.PathValue("id"), u); err != nil {
		if fieldErrors(v, err) {
			h.render(w, r, http.StatusBadRequest, "link_edit", v)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/links/"+r.PathValue("id")+"?done=saved", http.StatusSeeOther)
}

// SetLinkActive serves POST /dashboard/links/{id}/active: active=1
// activates the link, anything else deactivates it (service UpdateLink).
func (h *Handler) SetLinkActive(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	active := r.PostFormValue("active") == "1"
	if _, err := h.svc.UpdateLink(r.Context(), s.pr, l.ID, r.PathValue("id"), service.LinkUpdate{Active: &active}); err != nil {
		h.fail(w, r, s, err)
		return
	}
	done := "deactivated"
	if active {
		done = "activated"
	}
	http.Redirect(w, r, "/dashboard/links/"+r.PathValue("id")+"?done="+done, http.StatusSeeOther)
}

// DeleteLinkPage serves GET /dashboard/links/{id}/delete: the step that
// confirms a deletion.
func (h *Handler) DeleteLinkPage(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	v := h.newView(s, "Delete "+l.Title)
	v.Nav, v.Data = "links", l
	h.render(w, r, http.StatusOK, "link_delete", v)
}

// DeleteLink serves POST /dashboard/links/{id}/delete: the service deletes
// (archives) the link; its page stops taking payments.
func (h *Handler) DeleteLink(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	if _, err := h.svc.DeleteLink(r.Context(), s.pr, l.ID, r.PathValue("id")); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/links?status=archived", http.StatusSeeOther)
}
