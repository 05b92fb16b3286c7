package checkout

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// Merchant branding on the hosted pages (issue #17): the business name
// (in Merchant), the logo, the brand colour as the accent, and the support
// contacts. The logo and the colour's stylesheet are served from this
// site, so the pages' CSP allows them as 'self' and nothing more.

// setBrand fills v's branding from b (nil: none).
func setBrand(v *view, b *service.Branding) {
	if b == nil {
		return
	}
	if b.LogoVersion != "" {
		v.LogoURL = "/brand/" + paylinks.FormatBase36(b.AccountID) + "/logo?v=" + b.LogoVersion
	}
	if len(b.Color) == 7 {
		v.BrandCSS = "/assets/brand/" + b.Color[1:] + ".css"
	}
	v.SupportEmail, v.SupportURL = b.SupportEmail, b.SupportURL
}

// BrandLogo serves GET /brand/{account}/logo: the account's logo, from the
// database, with its checked content type (PNG or JPEG only), nosniff and
// a CSP that lets nothing run even if the bytes were opened as a page.
func (h *Handler) BrandLogo(w http.ResponseWriter, r *http.Request) {
	id, ok := paylinks.ParseBase36(r.PathValue("account"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	typ, data, err := h.svc.AccountLogo(r.Context(), id)
	if err != nil {
		if paylinks.KindOf(err) != paylinks.KindNotFound {
			h.log.ErrorContext(r.Context(), "checkout: logo", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		http.NotFound(w, r)
		return
	}
	if typ != "image/png" && typ != "image/jpeg" {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", typ)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Disposition", "inline")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	// The URL carries the logo's version: a new logo is a new URL.
	hd.Set("Cache-Control", "public, max-age=86400")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// BrandCSS serves GET /assets/brand/{hex}.css: the accent rules of a brand
// colour. It is a function of the colour alone (no account, no lookup),
// so it is cached for good.
func (h *Handler) BrandCSS(w http.ResponseWriter, r *http.Request) {
	hex, ok := strings.CutSuffix(r.PathValue("file"), ".css")
	if !ok || len(hex) != 6 || strings.Trim(hex, "0123456789abcdef") != "" {
		http.NotFound(w, r)
		return
	}
	rgb, _ := strconv.ParseUint(hex, 16, 32)
	red, green, blue := float64(rgb>>16&0xff), float64(rgb>>8&0xff), float64(rgb&0xff)
	text := "#fff" // on a dark accent; dark text on a light one
	if 0.299*red+0.587*green+0.114*blue > 160 {
		text = "#101828"
	}
	c := "#" + hex
	css := fmt.Sprintf(".avatar,button{background:%[1]s;color:%[2]s}button:hover{background:%[1]s;filter:brightness(.92)}"+
		"input:focus{border-color:%[1]s}.brand-logo{display:block;max-height:40px;max-width:200px}", c, text)
	hd := w.Header()
	hd.Set("Content-Type", "text/css; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write([]byte(css))
}
