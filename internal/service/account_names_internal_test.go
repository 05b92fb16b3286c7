package service

import (
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
)

func TestAccountNamesBounded(t *testing.T) {
	c := newAccountNames()
	var first paylinks.ID
	for i := 0; i < maxAccountNames+10; i++ {
		id, err := paylinks.NewID(time.Now(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = id
		}
		c.put(id, "acct "+strconv.Itoa(i))
	}
	if got := len(c.names); got != maxAccountNames {
		t.Errorf("%d names cached, want at most %d", got, maxAccountNames)
	}
	c.put(first, "renamed")
	if got, ok := c.get(first); !ok || got != "renamed" {
		t.Errorf("get after put = %q, %v; want renamed", got, ok)
	}
	c.forget(first)
	if got, ok := c.get(first); ok {
		t.Errorf("get after forget = %q, want none", got)
	}
}
