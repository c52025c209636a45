package memory

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// charsPerToken is the original's estimate of a token's size when it turns
// chunking.tokens and chunking.overlap into characters.
const charsPerToken = 4

// minChunkChars is the smallest chunk size, whatever chunking.tokens says.
const minChunkChars = 32

// Chunk is a run of whole lines of a file (a line longer than a chunk is cut into
// pieces that keep its line number).
type Chunk struct {
	StartLine, EndLine int // 1-based, inclusive
	Text               string
	Hash               string // sha256 of Text, the embedding cache's key
}

func hashText(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// chunkMarkdown cuts content into chunks of at most tokens*4 characters, each chunk
// starting with the last lines of the one before it that add up to at least overlap*4
// characters, as the original does. Sizes count characters (runes) plus one per line
// break. Chunks of only whitespace are dropped.
func chunkMarkdown(content string, tokens, overlap int) []Chunk {
	maxChars := max(minChunkChars, tokens*charsPerToken)
	overlapChars := max(0, overlap*charsPerToken)
	type line struct {
		text string
		no   int
		size int
	}
	var (
		out     []Chunk
		cur     []line
		curSize int
	)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		parts := make([]string, len(cur))
		for i, l := range cur {
			parts[i] = l.text
		}
		text := strings.Join(parts, "\n")
		if strings.TrimSpace(text) != "" {
			out = append(out, Chunk{StartLine: cur[0].no, EndLine: cur[len(cur)-1].no, Text: text, Hash: hashText(text)})
		}
	}
	carry := func() {
		if overlapChars <= 0 {
			cur, curSize = nil, 0
			return
		}
		acc, i := 0, len(cur)
		for i > 0 {
			i--
			acc += cur[i].size
			if acc >= overlapChars {
				break
			}
		}
		cur = append([]line(nil), cur[i:]...)
		curSize = acc
	}
	for i, text := range strings.Split(content, "\n") {
		var segs []string
		r := []rune(text)
		if len(r) == 0 {
			segs = []string{""}
		}
		for start := 0; start < len(r); start += maxChars {
			segs = append(segs, string(r[start:min(len(r), start+maxChars)]))
		}
		for _, seg := range segs {
			size := len([]rune(seg)) + 1
			if curSize+size > maxChars && len(cur) > 0 {
				flush()
				carry()
			}
			cur = append(cur, line{text: seg, no: i + 1, size: size})
			curSize += size
		}
	}
	flush()
	return out
}
