package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// backup writes a consistent copy of a live SQLite database to --to. It
// runs VACUUM INTO on a connection of its own: SQLite reads one snapshot
// (every write committed before it began, none after) while the server
// keeps writing, and writes a compact file. The copy goes to a temporary
// file that is synced and renamed into place, so a backup cut short never
// looks complete.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("backup", stderr)
	db := dbFlag(fs, getenv)
	to := fs.String("to", "", "the backup file to write (must not exist)")
	fs.Usage = func() { commandUsage(fs, "backup") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isPostgres(*db) {
		return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump (see the README's Backups section)")
	}
	if *to == "" {
		return errors.New("backup: --to FILE is required")
	}
	src, err := sqlitePath(*db)
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: database %s: %w", src, err)
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("backup: %s exists; give a new file name", *to)
	}
	if err := sqliteBackup(ctx, src, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paylinks: backed up %s to %s\n", src, *to)
	return nil
}

// sqliteBackup copies the database at src to the new file dst.
func sqliteBackup(ctx context.Context, src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := dst + ".partial"
	os.Remove(tmp)
	conn, err := sql.Open("sqlite", src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: VACUUM INTO %s: %w", tmp, err)
	}
	if err := syncRename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// restore puts a backup in place of a database. The server must be
// stopped: the file is replaced under it otherwise. The backup is checked
// (SQLite's quick_check) before anything is touched, and an existing
// database is replaced only with --force.
func restore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("restore", stderr)
	db := dbFlag(fs, getenv)
	from := fs.String("from", "", "the backup file to restore (made by paylinks backup)")
	force := fs.Bool("force", false, "replace the database when it exists (stop the server first)")
	fs.Usage = func() { commandUsage(fs, "restore") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isPostgres(*db) {
		return errors.New("restore puts back SQLite backups; for PostgreSQL use pg_restore or psql (see the README's Backups section)")
	}
	if *from == "" {
		return errors.New("restore: --from FILE is required")
	}
	dst, err := sqlitePath(*db)
	if err != nil {
		return err
	}
	if err := checkBackup(ctx, *from); err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil && !*force {
		return fmt.Errorf("restore: %s exists; stop the server and pass --force to replace it", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp := dst + ".restoring"
	if err := copyFile(*from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	// The old database's WAL and shared-memory files belong to it: left
	// beside the restored file, SQLite would replay the old WAL into it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := syncRename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "paylinks: restored %s from %s\n", dst, *from)
	return nil
}

// checkBackup opens path read-only and runs SQLite's quick_check on it.
func checkBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("restore: backup %w", err)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", path, err)
	}
	defer conn.Close()
	var res string
	if err := conn.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("restore: %s is not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("restore: %s is damaged: %s", path, res)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'links'").Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("restore: %s is not a paylinks database (no links table)", path)
	}
	return nil
}

// copyFile copies src to the new file dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncRename syncs tmp, renames it to dst and syncs dst's folder, so that
// after a crash dst is either absent or whole.
func syncRename(tmp, dst string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(dst))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
