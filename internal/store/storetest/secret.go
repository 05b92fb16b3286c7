package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// constant returns a generator of v that counts its calls in n.
func constant(v []byte, n *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*n++
		return bytes.Clone(v), nil
	}
}

// testServerSecret covers ServerSecret: create, get, independent names,
// failed generates, and callers racing to create one secret.
func testServerSecret(t *testing.T, f *fixture) {
	t.Run("Concurrent", func(t *testing.T) { testServerSecretConcurrent(t, f) })
	ctx := t.Context()
	want := []byte("\x00secret\xff with a zero byte and 32+ bytes of length")
	var calls int
	got, err := f.s.ServerSecret(ctx, "checkout", constant(want, &calls))
	if err != nil {
		t.Fatalf("ServerSecret(checkout) on a new store: %v", err)
	}
	if !bytes.Equal(got, want) || calls != 1 {
		t.Errorf("ServerSecret(checkout) on a new store: got %q after %d generate calls, want %q after 1", got, calls, want)
	}

	// Once stored, the secret is returned as is and generate is not called.
	calls = 0
	got, err = f.s.ServerSecret(ctx, "checkout", constant([]byte("another value"), &calls))
	if err != nil {
		t.Fatalf("ServerSecret(checkout) again: %v", err)
	}
	if !bytes.Equal(got, want) || calls != 0 {
		t.Errorf("ServerSecret(checkout) again: got %q after %d generate calls, want %q after 0", got, calls, want)
	}

	// Names are independent.
	other := []byte("fingerprint secret")
	got, err = f.s.ServerSecret(ctx, "fingerprint", constant(other, &calls))
	if err != nil {
		t.Fatalf("ServerSecret(fingerprint): %v", err)
	}
	if !bytes.Equal(got, other) {
		t.Errorf("ServerSecret(fingerprint): got %q, want %q", got, other)
	}

	// A failing or empty generate stores nothing.
	boom := errors.New("no randomness")
	if _, err := f.s.ServerSecret(ctx, "failing", func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("ServerSecret with a failing generate: got error %v, want one wrapping %v", err, boom)
	}
	if _, err := f.s.ServerSecret(ctx, "failing", func() ([]byte, error) { return []byte{}, nil }); err == nil {
		t.Error("ServerSecret with an empty generated value: got nil error, want an error")
	}
	later := []byte("made on the third try")
	got, err = f.s.ServerSecret(ctx, "failing", constant(later, &calls))
	if err != nil || !bytes.Equal(got, later) {
		t.Errorf("ServerSecret after failed generates: got %q, %v; want %q, nil", got, err, later)
	}
}

// testServerSecretConcurrent asks for one missing secret from many
// goroutines at once, each generating its own value: all get the same one.
func testServerSecretConcurrent(t *testing.T, f *fixture) {
	const n = 16
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = f.s.ServerSecret(t.Context(), "raced", func() ([]byte, error) {
				return fmt.Appendf(nil, "secret of caller %d", i), nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("caller %d got %q, caller 0 got %q; want one secret for all", i, got[i], got[0])
		}
	}
	if !bytes.HasPrefix(got[0], []byte("secret of caller ")) {
		t.Errorf("secret = %q, want one a caller generated", got[0])
	}
}
