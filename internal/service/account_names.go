package service

import (
	"context"
	"sync"

	"github.com/paylinks/paylinks"
)

// maxAccountNames bounds the account name cache; past it, an arbitrary
// name is dropped for each one added.
const maxAccountNames = 4096

// accountNames caches account names by id for the hosted pages, which show
// the merchant's name on every view. Accounts are never renamed or deleted
// today; a path that renames one must call forget. Safe for concurrent use.
type accountNames struct {
	mu    sync.RWMutex
	names map[paylinks.ID]string
}

func newAccountNames() *accountNames {
	return &accountNames{names: make(map[paylinks.ID]string)}
}

func (c *accountNames) get(id paylinks.ID) (string, bool) {
	c.mu.RLock()
	name, ok := c.names[id]
	c.mu.RUnlock()
	return name, ok
}

func (c *accountNames) put(id paylinks.ID, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.names[id]; !ok && len(c.names) >= maxAccountNames {
		for k := range c.names { // map order is random: drop any one
			delete(c.names, k)
			break
		}
	}
	c.names[id] = name
}

// forget drops the name of account id, so the next read asks the store.
func (c *accountNames) forget(id paylinks.ID) {
	c.mu.Lock()
	delete(c.names, id)
	c.mu.Unlock()
}

// accountName returns the name of account id, from the cache or the store.
func (s *Service) accountName(ctx context.Context, id paylinks.ID) (string, error) {
	if name, ok := s.names.get(id); ok {
		return name, nil
	}
	a, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return "", err
	}
	s.names.put(id, a.Name)
	return a.Name, nil
}
