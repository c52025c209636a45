package backend

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type fakeBackend struct {
	deltas []string
	err    error
	gotReq *Request
}

func (f *fakeBackend) Run(_ context.Context, req Request, onDelta func(Delta)) (Result, error) {
	f.gotReq = &req
	for _, d := range f.deltas {
		onDelta(Delta{Text: d})
	}
	if f.err != nil {
		return Result{}, f.err
	}
	return Result{Text: strings.Join(f.deltas, "")}, nil
}

func TestFallback(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		backends []*fakeBackend
		want     string
		wantErr  bool
		ran      int
	}{
		{"primary ok", []*fakeBackend{{deltas: []string{"a"}}, {deltas: []string{"b"}}}, "a", false, 1},
		{"primary fails first", []*fakeBackend{{err: boom}, {deltas: []string{"b"}}}, "b", false, 2},
		{"streamed then failed: no retry", []*fakeBackend{{deltas: []string{"x"}, err: boom}, {deltas: []string{"b"}}}, "", true, 1},
		{"all fail", []*fakeBackend{{err: boom}, {err: boom}}, "", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fallback{}
			for _, b := range tt.backends {
				f.Backends = append(f.Backends, b)
			}
			moved := 0
			f.OnFallback = func(int, error) { moved++ }
			res, err := f.Run(context.Background(), Request{Model: "primary-model"}, func(Delta) {})
			if (err != nil) != tt.wantErr || res.Text != tt.want {
				t.Fatalf("res %+v err %v", res, err)
			}
			ran := 0
			for i, b := range tt.backends {
				if b.gotReq != nil {
					ran++
					if i > 0 && b.gotReq.Model != "" {
						t.Errorf("fallback %d got model override %q", i, b.gotReq.Model)
					}
				}
			}
			if ran != tt.ran {
				t.Fatalf("ran %d backends, want %d", ran, tt.ran)
			}
		})
	}
}
