//go:build race

package sessions

// raceDetector: the race detector randomises goroutine scheduling, which tests of
// scheduling behaviour cannot rely on.
const raceDetector = true
