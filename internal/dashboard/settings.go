package dashboard

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// maxUpload bounds the body of the logo upload form: the service refuses
// a logo over service.MaxLogoBytes with a message beside the field, so
// the body may be somewhat larger than that.
const maxUpload = 1 << 20

type settingsData struct {
	Settings *paylinks.AccountSettings
	LogoURL  string
}

// Settings serves GET /dashboard/settings: the account's public business
// name, brand colour, logo, support contacts and default currency. Owner
// only (the service refuses a viewer: 403).
func (h *Handler) Settings(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Settings")
	v.Nav = "settings"
	switch r.URL.Query().Get("saved") {
	case "1":
		v.Notice = "Settings saved. The checkout pages show them within half a minute."
	case "logo":
		v.Notice = "Logo saved."
	case "nologo":
		v.Notice = "Logo removed."
	}
	h.settingsPage(w, r, s, v, http.StatusOK, nil)
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, s *session, v *view, status int, typed *service.SettingsParams) {
	st, err := h.svc.AccountSettings(r.Context(), s.pr)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if typed == nil {
		typed = &service.SettingsParams{BusinessName: st.BusinessName, BrandColor: st.BrandColor, SupportEmail: st.SupportEmail,
			SupportURL: st.SupportURL, DefaultCurrency: st.DefaultCurrency}
	}
	v.Form["business_name"], v.Form["brand_color"], v.Form["support_email"] = typed.BusinessName, typed.BrandColor, typed.SupportEmail
	v.Form["support_url"], v.Form["default_currency"] = typed.SupportURL, typed.DefaultCurrency
	d := settingsData{Settings: st}
	if st.LogoType != "" && st.LogoUpdatedAt != nil {
		d.LogoURL = "/brand/" + paylinks.FormatBase36(st.AccountID) + "/logo?v=" + strconv.FormatInt(st.LogoUpdatedAt.UnixMicro(), 16)
	}
	v.Data = d
	h.render(w, r, status, "settings", v)
}

// SaveSettings serves POST /dashboard/settings.
func (h *Handler) SaveSettings(w http.ResponseWriter, r *http.Request, s *session) {
	p := service.SettingsParams{BusinessName: r.PostFormValue("business_name"), BrandColor: r.PostFormValue("brand_color"),
		SupportEmail: r.PostFormValue("support_email"), SupportURL: r.PostFormValue("support_url"),
		DefaultCurrency: r.PostFormValue("default_currency")}
	if _, err := h.svc.UpdateAccountSettings(r.Context(), s.pr, p); err != nil {
		v := h.newView(s, "Settings")
		v.Nav = "settings"
		if fieldErrors(v, err) {
			h.settingsPage(w, r, s, v, http.StatusBadRequest, &p)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/settings?saved=1", http.StatusSeeOther)
}

// AuthedUpload is Authed for a multipart form of at most maxUpload bytes
// (the CSRF token is one of its fields).
func (h *Handler) AuthedUpload(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	authed := h.Authed(fn)
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				h.message(w, r, nil, http.StatusRequestEntityTooLarge, "File too large", "The logo must be at most 256 KB. Go back and choose a smaller file.")
				return
			}
			h.message(w, r, nil, http.StatusBadRequest, "The form could not be read", "Go back, reload the page and try again.")
			return
		}
		authed(w, r)
	}
}

// UploadLogo serves POST /dashboard/settings/logo (multipart, field
// "logo"): the service checks the file by its content.
func (h *Handler) UploadLogo(w http.ResponseWriter, r *http.Request, s *session) {
	var data []byte
	if f, _, err := r.FormFile("logo"); err == nil {
		data, err = io.ReadAll(io.LimitReader(f, maxUpload))
		f.Close()
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
	}
	if _, err := h.svc.SetAccountLogo(r.Context(), s.pr, data); err != nil {
		v := h.newView(s, "Settings")
		v.Nav = "settings"
		if fieldErrors(v, err) {
			h.settingsPage(w, r, s, v, http.StatusBadRequest, nil)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/settings?saved=logo", http.StatusSeeOther)
}

// RemoveLogo serves POST /dashboard/settings/logo/remove.
func (h *Handler) RemoveLogo(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.svc.RemoveAccountLogo(r.Context(), s.pr); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/settings?saved=nologo", http.StatusSeeOther)
}

// defaultCurrency is the currency the new link form starts with: the
// account's default currency (Settings), else the service's fallback.
func (h *Handler) defaultCurrency(r *http.Request, s *session) string {
	cur, err := h.svc.DefaultCurrency(r.Context(), s.pr)
	if err != nil {
		h.log.WarnContext(r.Context(), "dashboard: default currency", "err", err)
		return service.FallbackCurrency
	}
	return cur
}
