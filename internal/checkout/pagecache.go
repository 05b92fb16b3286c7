package checkout

import (
	"bytes"
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"hash/maphash"
	"sync"
)

// A checkout page as a GET shows it (no typed values, no errors) is the
// same bytes for every payer but for the CSRF token. pageCache keeps such
// pages, rendered by html/template once and split around the token, so a
// GET of a page in it writes the cached bytes and its own token without
// executing the template.
//
// Its key is everything the template reads (pageKey), not the link's id and
// version: whatever changes a page changes its key, and a stale page cannot
// be served. The cache is bounded in entries and in bytes (least recently
// used pages go first), and a page enters it only on its second miss within
// a while, so that views spread over many more links than it holds (each
// seen once) do not churn it.

// pageKey is every field of a view that a checkout page shows, but the
// CSRF token. TestPageKeyCoversView keeps it complete.
type pageKey struct {
	PageTitle, Merchant, Initial, Title, Description, AmountText, Currency,
	Action, CancelURL, AmountPlaceholder, Quote string
	Test, Available, PayerAmount bool

	LogoURL, BrandCSS, SupportEmail, SupportURL string
}

// cacheKey returns the key of v's checkout page, false when the page shows
// state of the request beyond the CSRF token (a form typed in, errors) or v
// has fields another page shows.
func cacheKey(v *view) (pageKey, bool) {
	if v.Cart != nil || v.Form != (formValues{}) || len(v.Errors) > 0 || v.FormError != nil ||
		v.CardBrand != "" || v.Last4 != "" || v.Date != "" || v.ChargeRef != "" || v.PaidWith != "" ||
		v.Heading != "" || v.Text != "" || v.Icon != "" || v.IsError || v.LinkURL != "" || v.LinkText != "" || v.ETH != nil {
		return pageKey{}, false
	}
	return pageKey{PageTitle: v.PageTitle, Merchant: v.Merchant, Initial: v.Initial, Title: v.Title,
		Description: v.Description, AmountText: v.AmountText, Currency: v.Currency, Action: v.Action,
		CancelURL: v.CancelURL, AmountPlaceholder: v.AmountPlaceholder, Quote: v.Quote,
		Test: v.Test, Available: v.Available, PayerAmount: v.PayerAmount,
		LogoURL: v.LogoURL, BrandCSS: v.BrandCSS, SupportEmail: v.SupportEmail, SupportURL: v.SupportURL}, true
}

func (k *pageKey) size() int {
	return len(k.PageTitle) + len(k.Merchant) + len(k.Initial) + len(k.Title) + len(k.Description) +
		len(k.AmountText) + len(k.Currency) + len(k.Action) + len(k.CancelURL) + len(k.AmountPlaceholder) + len(k.Quote) +
		len(k.LogoURL) + len(k.BrandCSS) + len(k.SupportEmail) + len(k.SupportURL)
}

// Default bounds of the page cache: a checkout page is about 5 KB, so
// 2048 pages fit in the 8 MiB. Under views spread evenly over many more
// links than that, the doorkeeper keeps the cache nearly empty; a full
// cache adds at most twice its bytes to the heap's peak (the collector's
// headroom), which stays well under the server's memory budget.
const (
	pageCacheEntries = 2048
	pageCacheBytes   = 8 << 20
	// pageEntryOverhead is what an entry costs besides its bytes: the
	// map slot, the list element, the entry and its slice headers.
	pageEntryOverhead = 256
)

type pageEntry struct {
	key    pageKey
	before []byte // the page up to the CSRF token
	after  []byte // the page after it
	size   int
}

// pageCache is safe for concurrent use.
type pageCache struct {
	// token stands for the CSRF token in a page rendered for the cache:
	// random, unknowable to whoever writes a link's title, and of a
	// token's length and alphabet, so html/template writes it as it
	// would write any token (it escapes none of those characters).
	token      string
	tokenBytes []byte
	seed       maphash.Seed

	mu         sync.Mutex
	entries    map[pageKey]*list.Element // of *pageEntry
	lru        list.List                 // most recently used first
	bytes      int
	maxEntries int
	maxBytes   int
	// missed is the doorkeeper: the hashes of keys that missed once,
	// direct-mapped. A key enters the cache when it misses again while
	// its slot still holds its hash.
	missed [4096]uint64

	hits, misses, admitted int // for tests
}

func newPageCache(maxEntries, maxBytes int) *pageCache {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	return &pageCache{token: token, tokenBytes: []byte(token), seed: maphash.MakeSeed(),
		entries: make(map[pageKey]*list.Element), maxEntries: maxEntries, maxBytes: maxBytes}
}

// fits reports whether a page with CSRF token csrf can come from the
// cache: the token is as long as c.token and of the same alphabet, which
// html/template writes as it is in an attribute value. (Every token of
// csrfToken is: base64url of a SHA-256 sum.)
func (c *pageCache) fits(csrf string) bool {
	if len(csrf) != len(c.token) {
		return false
	}
	for i := 0; i < len(csrf); i++ {
		switch ch := csrf[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return true
}

// write appends the cached page of k with token to b, and reports whether
// there was one.
func (c *pageCache) write(b *bytes.Buffer, k pageKey, token string) bool {
	c.mu.Lock()
	el, ok := c.entries[k]
	if !ok {
		c.misses++
		c.mu.Unlock()
		return false
	}
	c.hits++
	c.lru.MoveToFront(el)
	e := el.Value.(*pageEntry)
	c.mu.Unlock()
	// before and after are never written again once cached.
	b.Grow(len(e.before) + len(token) + len(e.after))
	b.Write(e.before)
	b.WriteString(token)
	b.Write(e.after)
	return true
}

// add offers the page of k, rendered with c.token for the CSRF token and
// split around it. It is copied in when the doorkeeper admits it.
func (c *pageCache) add(k pageKey, before, after []byte) {
	h := c.hash(&k)
	slot := &c.missed[h%uint64(len(c.missed))]
	size := len(before) + len(after) + k.size() + pageEntryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if *slot != h {
		*slot = h // first miss: remember it, no more
		return
	}
	if _, ok := c.entries[k]; ok || size > c.maxBytes {
		return
	}
	*slot = 0
	c.admitted++
	page := make([]byte, len(before)+len(after))
	copy(page, before)
	copy(page[len(before):], after)
	e := &pageEntry{key: k, before: page[:len(before):len(before)], after: page[len(before):], size: size}
	c.entries[k] = c.lru.PushFront(e)
	c.bytes += size
	for len(c.entries) > c.maxEntries || c.bytes > c.maxBytes {
		old := c.lru.Back()
		oe := old.Value.(*pageEntry)
		c.lru.Remove(old)
		delete(c.entries, oe.key)
		c.bytes -= oe.size
	}
}

func (c *pageCache) hash(k *pageKey) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, s := range [...]string{k.PageTitle, k.Merchant, k.Initial, k.Title, k.Description, k.AmountText,
		k.Currency, k.Action, k.CancelURL, k.AmountPlaceholder, k.Quote, k.LogoURL, k.BrandCSS, k.SupportEmail, k.SupportURL} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var flags byte
	for i, f := range [...]bool{k.Test, k.Available, k.PayerAmount} {
		if f {
			flags |= 1 << i
		}
	}
	h.WriteByte(flags)
	return h.Sum64()
}
