package webhooks_test

import (
	"os"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

func storeFilter() store.EventFilter { return store.EventFilter{Limit: 100} }

func parseEndpointID(s string) (paylinks.ID, bool) {
	return paylinks.ParseBase32(strings.TrimPrefix(s, "we_"))
}

func readREADME() (string, error) {
	b, err := os.ReadFile("../../README.md")
	return string(b), err
}
