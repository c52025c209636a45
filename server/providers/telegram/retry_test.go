package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego/telegoapi"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestSendRetries: a send the Bot API refuses for a passing reason (429 with
// retry_after, 5xx) is tried again under channels.telegram.retry, an upload with its
// whole file each time; a lasting refusal (400) is not, and retries stop at attempts.
func TestSendRetries(t *testing.T) {
	pic := png(7)
	fp := filepath.Join(t.TempDir(), "pic.png")
	if err := os.WriteFile(fp, pic, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		method      string
		code, after int
		failures    int
		media       bool
		wantErr     string // "" = delivered
		wantCalls   int
	}{
		{"rate limited once", "sendMessage", 429, 1, 1, false, "", 2},
		{"server errors twice", "sendMessage", 502, 0, 2, false, "", 3},
		{"server errors past attempts", "sendMessage", 500, 0, 5, false, "500", 3},
		{"bad request is final", "sendMessage", 400, 0, 1, false, "request rejected", 1},
		{"upload retried whole", "sendPhoto", 503, 0, 1, true, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tgtest.New(t, token)
			srv.AddChat(777)
			p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(),
				Retry: telegram.RetryPolicy{Attempts: 3, MinDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			srv.FailNext(tc.method, tc.code, "injected failure", tc.after, tc.failures)
			m := providers.Outbound{To: "777", Text: "hello"}
			if tc.media {
				m.MediaPath = fp
			}
			_, err = p.Send(ctx10(t), m)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("send: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("send: %v, want %q", err, tc.wantErr)
			}
			if n := srv.Calls(tc.method); n != tc.wantCalls {
				t.Fatalf("%s called %d times, want %d", tc.method, n, tc.wantCalls)
			}
			if tc.wantErr == "" {
				sent := srv.Sent()
				if len(sent) != 1 {
					t.Fatalf("sent %+v, want one message", sent)
				}
				if tc.media && !bytes.Equal(sent[0].File, pic) {
					t.Fatalf("the retried upload carried %d bytes, want the whole %d", len(sent[0].File), len(pic))
				}
			}
		})
	}
}

// TestSendRetryStopsWithContext: a caller that gives up stops the waits.
func TestSendRetryStopsWithContext(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(777)
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(),
		Retry: telegram.RetryPolicy{Attempts: 5, MinDelay: time.Hour, MaxDelay: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("sendMessage", 429, "Too Many Requests", 3600, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = p.Send(ctx, providers.Outbound{To: "777", Text: "hello"})
	var ae *telegoapi.Error
	if !errors.As(err, &ae) || ae.ErrorCode != 429 || srv.Calls("sendMessage") != 1 {
		t.Fatalf("err %v after %d calls, want the 429 after one call", err, srv.Calls("sendMessage"))
	}
}
