package checkout

import (
	"html/template"
	"strings"
)

// The checkout form's inputs (the "fields" template: amount, email, card,
// expiry, security code, name) are most of a checkout page's template work,
// yet on a GET they differ only by whether the payer types the amount and
// in which currency. The page calls {{fields .}}, which renders them from a
// fieldsView, the only data the template can read, and keeps the HTML of
// the fieldsViews that hold no typed value or error, by fieldsKey.

// fieldsView is what the "fields" template reads.
type fieldsView struct {
	// PinnedEmail is the email the link pins (the payer cannot change
	// it), "" when the payer types one.
	PinnedEmail       string
	PayerAmount       bool
	Currency          string
	AmountPlaceholder string
	Form              formValues
	Errors            map[string]string
	FormError         *formError
}

// fieldsKey is the part of a fieldsView that a form without typed values
// or errors shows. TestFieldsKeyCoversView keeps it complete.
type fieldsKey struct {
	PinnedEmail       string
	PayerAmount       bool
	Currency          string
	AmountPlaceholder string
}

// key returns the key of the fields, false when they show a typed value
// or an error, which are not cached.
func (f *fieldsView) key() (fieldsKey, bool) {
	if f.Form != (formValues{}) || len(f.Errors) > 0 || f.FormError != nil {
		return fieldsKey{}, false
	}
	return fieldsKey{PinnedEmail: f.PinnedEmail, PayerAmount: f.PayerAmount, Currency: f.Currency, AmountPlaceholder: f.AmountPlaceholder}, true
}

// fields renders the form inputs of v, as {{fields .}} in the checkout
// page: html/template escapes the "fields" template from a text context,
// which is where the page calls it.
func (h *Handler) fields(v *view) (template.HTML, error) {
	f := fieldsView{PayerAmount: v.PayerAmount, Currency: v.Currency, AmountPlaceholder: v.AmountPlaceholder,
		Form: v.Form, Errors: v.Errors, FormError: v.FormError}
	if v.Cart != nil {
		f.PinnedEmail = v.Cart.PinnedEmail
	}
	k, cacheable := f.key()
	if cacheable {
		if html, ok := h.fieldsCache.get(k); ok {
			return html, nil
		}
	}
	var b strings.Builder
	if err := h.pages["checkout"].ExecuteTemplate(&b, "fields", &f); err != nil {
		return "", err
	}
	html := template.HTML(b.String())
	if cacheable {
		h.fieldsCache.put(k, html)
	}
	return html, nil
}

// maxCachedFields bounds the fields cache. It needs about two entries per
// currency in use (a link's amount fixed or the payer's, whose placeholder
// is the currency's minimum): 2 KB to 3 KB each.
const maxCachedFields = 512
