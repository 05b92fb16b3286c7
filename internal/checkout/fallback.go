package checkout

import "net/http"

// MethodNotAllowed answers a method a page does not serve (405) with an
// HTML page and the Allow header listing the methods it does.
func (h *Handler) MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	h.message(w, r, http.StatusMethodNotAllowed, false, "Method not allowed",
		"This page cannot be requested this way. Open the payment link in a browser.", "info")
}
