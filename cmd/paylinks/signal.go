package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// reloadOnSIGHUP loads the TLS certificate again on every SIGHUP, logging
// the outcome (a failed reload keeps the current certificate). It returns
// the function that stops listening for the signal.
func reloadOnSIGHUP(certs *certReloader, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := certs.reload(); err != nil {
					log.Error("SIGHUP: TLS certificate not reloaded; the current one stays", "err", err)
					continue
				}
				log.Info("SIGHUP: TLS certificate reloaded", "cert", certs.certFile)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
