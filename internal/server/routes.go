package server

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api/priceblocs"
	v1 "github.com/paylinks/paylinks/internal/api/v1"
	"github.com/paylinks/paylinks/internal/service"
)

// routes lists every route paylinks serves: reading this function shows the
// whole HTTP surface.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// Every write that takes an Idempotency-Key names the access its
	// operation requires: the replay of a stored response checks it first,
	// so a key the endpoint refuses is refused the replay too
	// (TestReplayAuthorization keeps each route's access and its endpoint's
	// own check equal).
	linksWrite := service.NeedScope(paylinks.ScopeLinksWrite)
	sessionsWrite := service.NeedScope(paylinks.ScopeSessionsWrite)
	webhooksWrite := service.NeedScope(paylinks.ScopeWebhooksWrite)

	// Omise Links dialect (reference/omise.md).
	o := s.omise
	mux.Handle("POST /links", s.idempotent(linksWrite, o.Error, o.Authed(o.CreateLink)))
	mux.Handle("GET /links", o.Authed(o.ListLinks))
	mux.Handle("GET /links/{$}", o.Authed(o.ListLinks))
	mux.Handle("GET /links/{id}", o.Authed(o.GetLink))
	mux.Handle("DELETE /links/{id}", s.idempotent(linksWrite, o.Error, o.Authed(o.DeleteLink)))
	mux.Handle("GET /links/{id}/charges", o.Authed(o.ListLinkCharges))
	mux.Handle("POST /tokens", s.idempotent(service.NeedPublicKey, o.Error, o.Authed(o.CreateToken)))
	mux.Handle("GET /tokens/{id}", o.Authed(o.GetToken))
	mux.Handle("POST /charges", s.idempotent(linksWrite, o.Error, o.Authed(o.CreateCharge)))
	mux.Handle("GET /charges", o.Authed(o.ListCharges))
	mux.Handle("GET /charges/{id}", o.Authed(o.GetCharge))
	// The charge lifecycle (issue #13): capture, reverse, expire, update,
	// refunds. An unknown path or method anywhere is answered in its
	// dialect's shape by the table in fallback.go.
	mux.Handle("PATCH /charges/{id}", s.idempotent(linksWrite, o.Error, o.Authed(o.UpdateCharge)))
	mux.Handle("POST /charges/{id}/capture", s.idempotent(linksWrite, o.Error, o.Authed(o.CaptureCharge)))
	mux.Handle("POST /charges/{id}/reverse", s.idempotent(linksWrite, o.Error, o.Authed(o.ReverseCharge)))
	mux.Handle("POST /charges/{id}/expire", s.idempotent(linksWrite, o.Error, o.Authed(o.ExpireCharge)))
	mux.Handle("POST /charges/{id}/refunds", s.idempotent(linksWrite, o.Error, o.Authed(o.CreateRefund)))
	mux.Handle("GET /charges/{id}/refunds", o.Authed(o.ListChargeRefunds))
	mux.Handle("GET /charges/{id}/refunds/{refund_id}", o.Authed(o.GetRefund))
	mux.Handle("GET /refunds", o.Authed(o.ListRefunds))
	mux.Handle("GET /search", o.Authed(o.Search))
	mux.Handle("GET /events", o.Authed(o.ListEvents))
	mux.Handle("GET /events/{id}", o.Authed(o.GetEvent))

	// JSON v1 dialect (reference/v1.md): scopes per route, Idempotency-Key
	// on every POST, PATCH and DELETE.
	v := s.v1
	mux.Handle("POST /api/v1/payment_links", s.idempotent(linksWrite, v.Error, v.Route(paylinks.ScopeLinksWrite, nil, v.CreateLink)))
	mux.Handle("GET /api/v1/payment_links", v.Route(paylinks.ScopeLinksRead, nil, v.ListLinks))
	mux.Handle("GET /api/v1/payment_links/{id}", v.Route(paylinks.ScopeLinksRead, nil, v.GetLink))
	mux.Handle("PATCH /api/v1/payment_links/{id}", s.idempotent(linksWrite, v.Error, v.Route(paylinks.ScopeLinksWrite, nil, v.UpdateLink)))
	mux.Handle("DELETE /api/v1/payment_links/{id}", s.idempotent(linksWrite, v.Error, v.Route(paylinks.ScopeLinksWrite, nil, v.DeleteLink)))
	mux.Handle("POST /api/v1/checkout_sessions", s.idempotent(sessionsWrite, v.Error, v.Route(paylinks.ScopeSessionsWrite, v1.SessionParams, v.CreateSession)))
	mux.Handle("GET /api/v1/checkout_sessions", v.Route(paylinks.ScopeSessionsRead, v1.SessionParams, v.ListSessions))
	mux.Handle("GET /api/v1/checkout_sessions/{id}", v.Route(paylinks.ScopeSessionsRead, v1.SessionParams, v.GetSession))
	mux.Handle("POST /api/v1/test_helpers/checkout_sessions/{id}/crypto_payment", s.idempotent(sessionsWrite, v.Error, v.Route(paylinks.ScopeSessionsWrite, v1.SessionParams, v.SimulateCryptoPayment)))
	ep := v1.EndpointParams
	mux.Handle("POST /api/v1/webhook_endpoints", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.CreateEndpoint)))
	mux.Handle("GET /api/v1/webhook_endpoints", v.Route(paylinks.ScopeWebhooksRead, ep, v.ListEndpoints))
	mux.Handle("GET /api/v1/webhook_endpoints/{id}", v.Route(paylinks.ScopeWebhooksRead, ep, v.GetEndpoint))
	mux.Handle("PATCH /api/v1/webhook_endpoints/{id}", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.UpdateEndpoint)))
	mux.Handle("DELETE /api/v1/webhook_endpoints/{id}", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.DeleteEndpoint)))
	mux.Handle("POST /api/v1/webhook_endpoints/{id}/rotate_secret", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.RotateEndpointSecret)))
	mux.Handle("POST /api/v1/webhook_endpoints/{id}/test", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.TestEndpoint)))
	mux.Handle("GET /api/v1/events", v.Route(paylinks.ScopeEventsRead, ep, v.ListEvents))
	mux.Handle("GET /api/v1/events/{id}", v.Route(paylinks.ScopeEventsRead, ep, v.GetEvent))
	mux.Handle("POST /api/v1/events/{id}/redeliver", s.idempotent(webhooksWrite, v.Error, v.Route(paylinks.ScopeWebhooksWrite, ep, v.RedeliverEvent)))
	mux.HandleFunc("GET /api/v1/openapi.json", v.OpenAPI)

	// PriceBlocs dialect (reference/priceblocs.md): the catalog behind its
	// links, read with links:read and written with links:write; updates
	// by PUT (PriceBlocs) or POST (Stripe, whose catalog it fronts).
	pb := s.pb
	for _, kind := range []struct {
		path                       string
		create, list, get, changes func(http.ResponseWriter, *priceblocs.Request) error
	}{
		{"products", pb.CreateProduct, pb.ListProducts, pb.GetProduct, pb.UpdateProduct},
		{"prices", pb.CreatePrice, pb.ListPrices, pb.GetPrice, pb.UpdatePrice},
		{"coupons", pb.CreateCoupon, pb.ListCoupons, pb.GetCoupon, pb.UpdateCoupon},
		{"promotion-codes", pb.CreatePromotionCode, pb.ListPromotionCodes, pb.GetPromotionCode, pb.UpdatePromotionCode},
		{"tax-rates", pb.CreateTaxRate, pb.ListTaxRates, pb.GetTaxRate, pb.UpdateTaxRate},
		{"shipping-rates", pb.CreateShippingRate, pb.ListShippingRates, pb.GetShippingRate, pb.UpdateShippingRate},
	} {
		mux.Handle("POST /v1/"+kind.path, s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, kind.create)))
		mux.Handle("GET /v1/"+kind.path, pb.Route(paylinks.ScopeLinksRead, kind.list))
		mux.Handle("GET /v1/"+kind.path+"/{id}", pb.Route(paylinks.ScopeLinksRead, kind.get))
		mux.Handle("PUT /v1/"+kind.path+"/{id}", s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, kind.changes)))
		mux.Handle("POST /v1/"+kind.path+"/{id}", s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, kind.changes)))
	}
	mux.Handle("POST /v1/payment-links", s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, pb.CreateLink)))
	mux.Handle("GET /v1/payment-links", pb.Route(paylinks.ScopeLinksRead, pb.ListLinks))
	mux.Handle("GET /v1/payment-links/{id}", pb.Route(paylinks.ScopeLinksRead, pb.GetLink))
	mux.Handle("PUT /v1/payment-links/{id}", s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, pb.UpdateLink)))
	mux.Handle("DELETE /v1/payment-links/{id}", s.idempotent(linksWrite, pb.Error, pb.Route(paylinks.ScopeLinksWrite, pb.DeleteLink)))

	// Hosted checkout pages: every dialect's payment URL points here.
	c := s.checkout
	mux.HandleFunc("GET /l/{slug}", c.Page)
	mux.HandleFunc("POST /l/{slug}", c.Pay)
	mux.HandleFunc("POST /l/{slug}/quote", c.Quote)
	mux.HandleFunc("GET /l/{slug}/recover", c.RecoverPage)
	mux.HandleFunc("POST /l/{slug}/recover", c.RecoverPay)
	mux.HandleFunc("POST /l/{slug}/recover/quote", c.RecoverQuote)
	mux.HandleFunc("GET /l/{slug}/complete", c.Receipt)
	mux.HandleFunc("GET /c/{id}", c.SessionPage)
	mux.HandleFunc("POST /c/{id}", c.PaySession)
	mux.HandleFunc("GET /c/{id}/complete", c.SessionReceipt)
	mux.HandleFunc("GET /c/{id}/status", c.SessionStatus)
	mux.HandleFunc("POST /c/{id}/simulate", c.SimulateSession)
	mux.HandleFunc("GET /assets/{name}", c.Asset)
	mux.HandleFunc("GET /brand/{account}/logo", c.BrandLogo)
	mux.HandleFunc("GET /assets/brand/{file}", c.BrandCSS)

	// Merchant dashboard (issue #17): HTML pages behind a session cookie;
	// every POST carries a CSRF token, and every action calls the service
	// with the user's principal (a viewer's refuses writes).
	d := s.dashboard
	mux.HandleFunc("GET /dashboard/signin", d.SignInPage)
	mux.HandleFunc("POST /dashboard/signin", d.SignIn)
	mux.HandleFunc("GET /dashboard/setup", d.SetupPage)
	mux.HandleFunc("POST /dashboard/setup", d.Setup)
	mux.HandleFunc("POST /dashboard/signout", d.Authed(d.SignOut))
	mux.HandleFunc("POST /dashboard/mode", d.Authed(d.Mode))
	mux.HandleFunc("GET /dashboard", d.Authed(d.Home))
	mux.HandleFunc("GET /dashboard/{$}", d.Authed(d.Home))
	mux.HandleFunc("GET /dashboard/links", d.Authed(d.Links))
	mux.HandleFunc("GET /dashboard/links/new", d.Authed(d.NewLink))
	mux.HandleFunc("POST /dashboard/links", d.Authed(d.CreateLink))
	mux.HandleFunc("GET /dashboard/links/{id}", d.Authed(d.Link))
	mux.HandleFunc("GET /dashboard/links/{id}/qr.png", d.Authed(d.LinkQR))
	mux.HandleFunc("GET /dashboard/payments", d.Authed(d.Payments))
	mux.HandleFunc("GET /dashboard/payments/{id}", d.Authed(d.Payment))
	mux.HandleFunc("POST /dashboard/payments/{id}/refund", d.Authed(d.Refund))
	// Developers (owner-only keys; webhooks and events), Settings
	// (owner only), Security (two-step sign-in, sign-out everywhere).
	mux.HandleFunc("POST /dashboard/signin/code", d.SignInCode)
	mux.HandleFunc("GET /dashboard/developers", d.Authed(d.Developers))
	mux.HandleFunc("GET /dashboard/developers/keys", d.Authed(d.Keys))
	mux.HandleFunc("POST /dashboard/developers/keys", d.Authed(d.CreateKey))
	mux.HandleFunc("POST /dashboard/developers/keys/{id}/revoke", d.Authed(d.RevokeKey))
	mux.HandleFunc("GET /dashboard/developers/webhooks", d.Authed(d.Webhooks))
	mux.HandleFunc("POST /dashboard/developers/webhooks", d.Authed(d.CreateWebhook))
	mux.HandleFunc("GET /dashboard/developers/webhooks/{id}", d.Authed(d.Webhook))
	mux.HandleFunc("POST /dashboard/developers/webhooks/{id}/{action}", d.Authed(d.WebhookAction))
	mux.HandleFunc("GET /dashboard/developers/events", d.Authed(d.Events))
	mux.HandleFunc("GET /dashboard/developers/events/{id}", d.Authed(d.Event))
	mux.HandleFunc("POST /dashboard/developers/events/{id}/redeliver", d.Authed(d.Redeliver))
	mux.HandleFunc("GET /dashboard/settings", d.Authed(d.Settings))
	mux.HandleFunc("POST /dashboard/settings", d.Authed(d.SaveSettings))
	mux.HandleFunc("POST /dashboard/settings/logo", d.AuthedUpload(d.UploadLogo))
	mux.HandleFunc("POST /dashboard/settings/logo/remove", d.Authed(d.RemoveLogo))
	mux.HandleFunc("GET /dashboard/security", d.Authed(d.Security))
	mux.HandleFunc("POST /dashboard/security/totp", d.Authed(d.BeginTOTP))
	mux.HandleFunc("POST /dashboard/security/totp/confirm", d.Authed(d.ConfirmTOTP))
	mux.HandleFunc("POST /dashboard/security/totp/disable", d.Authed(d.DisableTOTP))
	mux.HandleFunc("POST /dashboard/security/totp/cancel", d.Authed(d.CancelTOTP))
	// Issue #17, lane dashpay: search and edit links, capture and void,
	// CSV export, live updates, sessions.
	mux.HandleFunc("GET /dashboard/links/{id}/edit", d.Authed(d.EditLinkPage))
	mux.HandleFunc("POST /dashboard/links/{id}/edit", d.Authed(d.EditLink))
	mux.HandleFunc("POST /dashboard/links/{id}/active", d.Authed(d.SetLinkActive))
	mux.HandleFunc("GET /dashboard/links/{id}/delete", d.Authed(d.DeleteLinkPage))
	mux.HandleFunc("POST /dashboard/links/{id}/delete", d.Authed(d.DeleteLink))
	mux.HandleFunc("GET /dashboard/payments/new", d.Authed(d.NewPayments))
	mux.HandleFunc("GET /dashboard/payments/export", d.Authed(d.ExportPayments))
	mux.HandleFunc("GET /dashboard/payments/{id}/capture", d.Authed(d.ChargeOpPage("capture")))
	mux.HandleFunc("POST /dashboard/payments/{id}/capture", d.Authed(d.ChargeOp("capture")))
	mux.HandleFunc("GET /dashboard/payments/{id}/void", d.Authed(d.ChargeOpPage("void")))
	mux.HandleFunc("POST /dashboard/payments/{id}/void", d.Authed(d.ChargeOp("void")))
	mux.HandleFunc("GET /dashboard/sessions", d.Authed(d.Sessions))

	// Everything else: a 404 or 405 in the path's dialect (fallback.go).
	mux.HandleFunc(fallbackPattern, s.fallback(mux))

	return s.middleware(mux)
}

// fallbackPattern is the catch-all route of paths no other route serves.
const fallbackPattern = "/"
