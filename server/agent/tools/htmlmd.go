package tools

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var blankRuns = regexp.MustCompile(`\n{3,}`)

func collapseBlankLines(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
}

// htmlToMarkdown renders an article's DOM as markdown: headings, paragraphs, links,
// images, lists, quotes, code blocks and emphasis; tables as pipe rows. It is meant for a
// model to read, not for a round trip.
func htmlToMarkdown(n *html.Node) string {
	var m mdWriter
	m.node(n)
	return collapseBlankLines(strings.TrimSpace(m.b.String()))
}

type mdWriter struct {
	b     strings.Builder
	pre   int
	lists []listState
}

type listState struct {
	ordered bool
	n       int
}

func (m *mdWriter) block() {
	s := m.b.String()
	if s == "" || strings.HasSuffix(s, "\n\n") {
		return
	}
	if strings.HasSuffix(s, "\n") {
		m.b.WriteString("\n")
		return
	}
	m.b.WriteString("\n\n")
}

func (m *mdWriter) line() {
	s := m.b.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		m.b.WriteString("\n")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var spaceRuns = regexp.MustCompile(`\s+`)

func (m *mdWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		m.node(c)
	}
}

func (m *mdWriter) inline(n *html.Node) string {
	var sub mdWriter
	sub.pre = m.pre
	sub.children(n)
	return strings.TrimSpace(sub.b.String())
}

func (m *mdWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if m.pre > 0 {
			m.b.WriteString(n.Data)
			return
		}
		t := spaceRuns.ReplaceAllString(n.Data, " ")
		if strings.HasSuffix(m.b.String(), "\n") || m.b.Len() == 0 {
			t = strings.TrimLeft(t, " ")
		}
		m.b.WriteString(t)
		return
	case html.ElementNode:
	default:
		m.children(n)
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
		return
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		m.block()
		level := int(n.Data[1] - '0')
		m.b.WriteString(strings.Repeat("#", level) + " " + m.inline(n))
		m.block()
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Figure, atom.Main:
		m.block()
		m.children(n)
		m.block()
	case atom.Br:
		m.b.WriteString("\n")
	case atom.Hr:
		m.block()
		m.b.WriteString("---")
		m.block()
	case atom.A:
		text, href := m.inline(n), attr(n, "href")
		switch {
		case href == "" || strings.HasPrefix(href, "javascript:"):
			m.b.WriteString(text)
		case text == "":
			m.b.WriteString("<" + href + ">")
		default:
			m.b.WriteString("[" + text + "](" + href + ")")
		}
	case atom.Img:
		if src := attr(n, "src"); src != "" {
			m.b.WriteString("![" + attr(n, "alt") + "](" + src + ")")
		}
	case atom.Strong, atom.B:
		if t := m.inline(n); t != "" {
			m.b.WriteString("**" + t + "**")
		}
	case atom.Em, atom.I:
		if t := m.inline(n); t != "" {
			m.b.WriteString("*" + t + "*")
		}
	case atom.Code:
		if m.pre > 0 {
			m.children(n)
		} else if t := m.inline(n); t != "" {
			m.b.WriteString("`" + t + "`")
		}
	case atom.Pre:
		m.block()
		m.b.WriteString("```\n")
		m.pre++
		m.children(n)
		m.pre--
		m.line()
		m.b.WriteString("```")
		m.block()
	case atom.Blockquote:
		m.block()
		var sub mdWriter
		sub.children(n)
		for _, l := range strings.Split(strings.TrimSpace(collapseBlankLines(sub.b.String())), "\n") {
			m.b.WriteString("> " + l + "\n")
		}
		m.block()
	case atom.Ul, atom.Ol:
		m.block()
		m.lists = append(m.lists, listState{ordered: n.DataAtom == atom.Ol})
		m.children(n)
		m.lists = m.lists[:len(m.lists)-1]
		m.block()
	case atom.Li:
		m.line()
		indent := strings.Repeat("  ", max(0, len(m.lists)-1))
		marker := "- "
		if len(m.lists) > 0 && m.lists[len(m.lists)-1].ordered {
			m.lists[len(m.lists)-1].n++
			marker = strconv.Itoa(m.lists[len(m.lists)-1].n) + ". "
		}
		m.b.WriteString(indent + marker)
		m.children(n)
		m.line()
	case atom.Tr:
		m.line()
		var cells []string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
				cells = append(cells, strings.ReplaceAll(m.inline(c), "\n", " "))
			}
		}
		m.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	case atom.Table:
		m.block()
		m.children(n)
		m.block()
	default:
		m.children(n)
	}
}
