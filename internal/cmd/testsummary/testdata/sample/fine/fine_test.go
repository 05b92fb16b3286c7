package fine

import "testing"

func TestPasses(t *testing.T) {
	t.Run("one", func(t *testing.T) {})
	t.Run("two", func(t *testing.T) {})
}

func TestNeedsDatabase(t *testing.T) { t.Skip("SAMPLE_DB is not set: no database to test against") }

func TestNeedsDatabaseToo(t *testing.T) { t.Skip("SAMPLE_DB is not set: no database to test against") }

func TestFails(t *testing.T) { t.Errorf("got 1, want 2") }
