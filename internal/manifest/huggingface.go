package manifest

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
)

// Rule ids of the findings intake makes on what a source says.
const (
	RuleCardLicense   = "intake.card-license"
	RuleCardName      = "intake.card-name"
	RuleCardLineage   = "intake.card-lineage"
	RuleCardLicenseTx = "intake.card-license-text"
)

// cardFrontMatter is the pattern huggingface_hub reads a card's metadata
// with (REGEX_YAML_BLOCK in huggingface_hub/repocard.py): leading
// whitespace and blank lines are allowed, the block ends at the first line
// that is exactly "---", and line ends may be CRLF.
var cardFrontMatter = regexp.MustCompile(`^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))`)

// hasFrontMatter reports whether data starts like a model card.
func hasFrontMatter(data []byte) bool { return cardFrontMatter.Match(data) }

// intakeAnalyzer resolves license names and identifies license texts for
// intake, from the embedded knowledge base; the license review itself
// runs later with the solicitation's policy bundle.
var intakeAnalyzer = sync.OnceValues(func() (*licensing.Analyzer, error) { return licensing.NewAnalyzer() })

// cardKeys are the front matter keys ParseHuggingFace maps; any other is
// reported as unmapped.
var cardKeys = map[string]bool{"license": true, "license_name": true, "license_link": true, "base_model": true,
	"base_model_relation": true, "datasets": true, "model-index": true, "pipeline_tag": true, "language": true,
	"tags": true, "model_name": true, "library_name": true}

// cardSections maps model card headings (lower case, as the Hub's card
// template and model providers write them) to the evidence kind the
// section documents.
var cardSections = []struct {
	pattern *regexp.Regexp
	kind    string
}{
	{regexp.MustCompile(`\b(bias|risks?|limitations?|ethic|safety|out-of-scope|misuse)`), "model-card"},
	{regexp.MustCompile(`\b(evaluation|benchmark|results)`), "evaluation-results"},
	{regexp.MustCompile(`\btraining (data|dataset)|\bdatasets?\b|\bdata preprocessing`), "data-card"},
}

// ParseHuggingFace reads a Hugging Face model card (README.md with YAML
// front matter) into a manifest: the Hub license identifier (or
// license_name and license_link for "other") as the weights' license, a
// license text embedded in the gated-access prompt, the base models and
// how the model derives from them, the datasets, model-index results as
// evaluation results, and the card's own sections as evidence located in
// the card. Findings say what the card lacks, e.g. a license.
func ParseHuggingFace(data []byte, path string) (Candidate, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	loc := cardFrontMatter.FindSubmatchIndex(data)
	if loc == nil {
		return Candidate{}, domain.InvalidFields("the model card has no metadata", []domain.FieldError{{Field: orRoot(path),
			Message: "a Hugging Face model card starts with YAML front matter between two lines of ---; add one with at least license: (e.g. license: apache-2.0)"}})
	}
	front, body := data[loc[4]:loc[5]], data[loc[1]:]
	offset := bytes.Count(data[:loc[4]], []byte("\n"))
	root, err := yamlRoot(front)
	if err == nil && root.Kind != yaml.MappingNode {
		err = fmt.Errorf("line 1: the front matter is not a mapping of keys to values")
	}
	if err != nil {
		return Candidate{}, domain.InvalidFields("the model card's front matter is not valid YAML",
			[]domain.FieldError{{Field: orRoot(path), Message: shiftLine(yamlMessage(front, err), offset)}})
	}
	y := newYAMLReader(path)
	doc, err := y.read(root)
	lines := y.lines
	if err != nil {
		return Candidate{}, err
	}
	a, err := intakeAnalyzer()
	if err != nil {
		return Candidate{}, err
	}
	r := cardReader{meta: doc.(map[string]any), lines: lines, offset: offset, analyzer: a,
		c: Candidate{Format: FormatHuggingFace, Unmapped: []Unmapped{}, Findings: []domain.Finding{}}}
	r.read(string(body))
	return r.c, nil
}

// shiftLine renumbers "line N:" of a front matter message as a line of the card.
func shiftLine(msg string, offset int) string {
	m := yamlLine.FindString(msg)
	if m == "" {
		return msg
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(m, "line "), ": "))
	return fmt.Sprintf("line %d: %s", n+offset, msg[len(m):])
}

type cardReader struct {
	meta     map[string]any
	lines    map[string]int
	offset   int // lines before the front matter's first line
	analyzer *licensing.Analyzer
	c        Candidate
}

func (r *cardReader) line(key string) int {
	if l := r.lines[key]; l > 0 {
		return l + r.offset
	}
	return 0
}

func (r *cardReader) read(body string) {
	m := &r.c.Manifest
	m.SchemaVersion = "1"
	m.Task = str(r.meta["pipeline_tag"])
	m.Languages = strs(r.meta["language"])
	m.Tags = strs(r.meta["tags"])
	m.Name = r.name(body)
	m.Weights.License = r.license()
	m.Weights.Format = weightsFormat(m.Tags, str(r.meta["library_name"]))
	// A card describes a Hub repository: its weights can be downloaded and run elsewhere.
	m.Deployment.WeightsExportable = true
	m.BaseModels = r.baseModels()
	m.Components = []domain.Component{
		{Name: licensing.WeightsComponent, License: m.Weights.License, Included: true},
		{Name: "Model card", Location: "README.md", Included: true},
	}
	if d, ok := r.datasets(); ok {
		m.Components = append(m.Components, d)
	}
	m.Evidence = append(m.Evidence, domain.EvidenceItem{Kind: "model-card", Title: "Hugging Face model card", Location: "README.md"})
	if results := r.modelIndex(); len(results) > 0 {
		m.Components = append(m.Components, domain.Component{Name: "Evaluation results", Location: "README.md", Included: true})
		m.Evidence = append(m.Evidence, results...)
	}
	m.Evidence = append(m.Evidence, cardSectionEvidence(body)...)
	if len(m.Evidence) > maxCardEvidence {
		r.c.Unmapped = append(r.c.Unmapped, Unmapped{Field: "model-index", Value: strconv.Itoa(len(m.Evidence) - maxCardEvidence),
			Reason: fmt.Sprintf("a manifest holds at most %d evidence items; the rest were not read", maxCardEvidence)})
		m.Evidence = m.Evidence[:maxCardEvidence]
	}
	for _, k := range sortedKeys(r.meta) {
		if !cardKeys[k] && !(k == "extra_gated_prompt" && m.Weights.LicenseText != "") {
			r.c.Unmapped = append(r.c.Unmapped, Unmapped{Field: k, Line: r.line(k), Value: truncate(brief(r.meta[k]), 200), Reason: "the manifest has no such field"})
		}
	}
}

// maxCardEvidence keeps a card within the manifest schema's evidence limit.
const maxCardEvidence = 100

// name is the model's name: model_name, the model-index name, else the
// card's first level-1 heading.
func (r *cardReader) name(body string) string {
	if n := str(r.meta["model_name"]); n != "" {
		return n
	}
	if idx, ok := r.meta["model-index"].([]any); ok && len(idx) > 0 {
		if entry, ok := idx[0].(map[string]any); ok && str(entry["name"]) != "" {
			return str(entry["name"])
		}
	}
	for _, l := range strings.Split(body, "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(l), "# "); ok && strings.TrimSpace(h) != "" {
			return truncate(headingText(h), 200)
		}
	}
	r.c.Findings = append(r.c.Findings, domain.Finding{Rule: RuleCardName, Severity: domain.SeverityWarn,
		Message:  "the model card names no model: it has no model_name, model-index name or level-1 heading",
		Evidence: domain.Evidence{Component: "Model card"}, Source: "Hugging Face model card metadata (huggingface_hub ModelCardData)",
		Fix: "Add model_name: <name> to the card's front matter, or a # <model name> heading."})
	return "unnamed Hugging Face model"
}

// license reads the card's license as the Hub does: a Hub identifier, or
// "other" with license_name and license_link. A license embedded in the
// gated-access prompt is attached as the weights' license text.
func (r *cardReader) license() string {
	written := strings.Join(strs(r.meta["license"]), " AND ")
	r.licenseText()
	h, listed, err := licensing.LookupHubIdentifier(written)
	switch {
	case err != nil:
		r.missingLicense(written, "the Hub license table could not be read: "+err.Error())
		return ""
	case written == "" || (listed && h.Kind == licensing.HubNone):
		r.missingLicense(written, "the card states no license")
		return ""
	case listed && h.Kind == licensing.HubLicense:
		return h.Expression
	case listed && h.Kind == licensing.HubFamily:
		return written // the review asks which member is meant
	case listed && h.Kind == licensing.HubOther:
		return r.otherLicense()
	}
	if resolved := r.analyzer.Resolve(written); resolved != "" {
		return resolved
	}
	return written
}

// otherLicense reads license: other, named by license_name and located by
// license_link: a name or link the knowledge base knows is that license,
// any other a custom license a reviewer reads.
func (r *cardReader) otherLicense() string {
	name, link := str(r.meta["license_name"]), str(r.meta["license_link"])
	for _, s := range []string{name, link} {
		if s == "" {
			continue
		}
		if resolved := r.analyzer.Resolve(s); resolved != "" {
			return resolved
		}
	}
	if name != "" {
		return "LicenseRef-" + refID(name)
	}
	if link == "" {
		r.missingLicense("other", "license: other names no license: license_name and license_link are missing")
		return ""
	}
	r.c.Findings = append(r.c.Findings, domain.Finding{Rule: RuleCardLicense, Severity: domain.SeverityWarn,
		Message:  fmt.Sprintf("the card's license is other, with no license_name; the license is at %s", link),
		Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "license_link", Quote: link},
		Source:   "Hugging Face Hub licenses (docs/hub/repositories-licenses.md)",
		Fix:      "Add license_name: <short id of the license> next to license_link, so the license can be identified."})
	return "LicenseRef-" + refID(strings.TrimSuffix(link[strings.LastIndex(link, "/")+1:], ".md"))
}

func (r *cardReader) missingLicense(written, why string) {
	if written == "" {
		written = "(none)"
	}
	r.c.Findings = append(r.c.Findings, domain.Finding{Rule: RuleCardLicense, Severity: domain.SeverityDeny,
		Message:  "the model card gives no license for the weights (" + why + "), so the agency has no right to use them",
		Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "license", Quote: written},
		Source:   "Hugging Face Hub licenses (docs/hub/repositories-licenses.md)",
		Fix: "Add the license to the card's front matter: license: <Hub identifier> (e.g. license: apache-2.0 or license: llama3.1), " +
			"or license: other with license_name: <name> and license_link: <where its text is> for a license the Hub does not list."})
}

// licenseText attaches a license text the card embeds in its gated-access
// prompt (Meta's cards carry the whole agreement there) when the
// knowledge base identifies it; the prompt's first section is tried on its
// own, as an acceptable use policy often follows the agreement.
func (r *cardReader) licenseText() {
	prompt := str(r.meta["extra_gated_prompt"])
	if len(prompt) < 200 {
		return
	}
	// The closest match wins: a prompt that appends a use policy to the
	// agreement can resemble an older agreement that includes its policy.
	var best domain.TextMatch
	var bestText string
	for _, text := range []string{prompt, firstSection(prompt)} {
		if text == "" {
			continue
		}
		if m := r.analyzer.MatchText(text); m.LicenseID != "" && (m.Exact || m.Similarity > best.Similarity) {
			best, bestText = m, text
		}
	}
	if best.LicenseID == "" {
		return
	}
	r.c.Manifest.Weights.LicenseText = bestText
	how := "is"
	if !best.Exact {
		how = fmt.Sprintf("closely resembles (%.0f%% similar)", 100*best.Similarity)
	}
	r.c.Findings = append(r.c.Findings, domain.Finding{Rule: RuleCardLicenseTx, Severity: domain.SeverityInfo,
		Message:  fmt.Sprintf("the card's gated-access prompt (line %d) %s the license text of %s; it is reviewed as the weights' license text", r.line("extra_gated_prompt"), how, best.LicenseID),
		Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "extra_gated_prompt", Quote: truncate(bestText, 200)},
		Source:   "modeltender license knowledge base (text match)"})
}

// firstSection is text up to its second Markdown heading.
func firstSection(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if i > 0 && strings.HasPrefix(strings.TrimSpace(l), "#") {
			return strings.Join(lines[:i], "\n")
		}
	}
	return ""
}

// baseModels reads base_model (a string or a list) and base_model_relation;
// without the relation it is inferred as the Hub does, from the library
// and tags, and the finding says so.
func (r *cardReader) baseModels() []domain.BaseModel {
	names := strs(r.meta["base_model"])
	tags := strs(r.meta["tags"])
	relation := str(r.meta["base_model_relation"])
	for _, t := range tags {
		// The Hub writes "base_model:<relation>:<id>" tags on cards it indexes.
		if parts := strings.SplitN(t, ":", 3); len(parts) == 3 && parts[0] == "base_model" && slices.Contains(domain.BaseModelRelations, parts[1]) {
			if relation == "" {
				relation = parts[1]
			}
			if len(names) == 0 || (len(names) == 1 && names[0] == "") {
				names = []string{parts[2]}
			}
		}
	}
	names = slices.DeleteFunc(names, func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(names) == 0 {
		return nil
	}
	if relation != "" && !slices.Contains(domain.BaseModelRelations, relation) {
		r.c.Unmapped = append(r.c.Unmapped, Unmapped{Field: "base_model_relation", Line: r.line("base_model_relation"), Value: relation,
			Reason: "not one of adapter, merge, quantized, finetune; the relation is inferred instead"})
		relation = ""
	}
	if relation == "" {
		var why string
		relation, why = inferRelation(names, tags, str(r.meta["library_name"]))
		r.c.Findings = append(r.c.Findings, domain.Finding{Rule: RuleCardLineage, Severity: domain.SeverityInfo,
			Message:  fmt.Sprintf("the card names base model %s without base_model_relation; read as %s (%s)", strings.Join(names, ", "), relation, why),
			Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "base_model", Quote: strings.Join(names, ", ")},
			Source:   "Hugging Face model cards: base_model_relation (adapter, merge, quantized, finetune)",
			Fix:      "Add base_model_relation: adapter|merge|quantized|finetune to the card's front matter."})
	}
	out := make([]domain.BaseModel, len(names))
	for i, n := range names {
		out[i] = domain.BaseModel{Name: n, Relation: relation}
	}
	return out
}

// inferRelation guesses how a model derives from its bases, as the Hub does
// when a card does not say.
func inferRelation(bases, tags []string, library string) (relation, why string) {
	has := func(words ...string) string {
		for _, t := range tags {
			for _, w := range words {
				if strings.EqualFold(t, w) {
					return t
				}
			}
		}
		return ""
	}
	switch {
	case library == "peft" || has("peft", "lora", "qlora") != "":
		return "adapter", "a PEFT/LoRA library or tag"
	case has("gguf", "gptq", "awq", "exl2", "quantized", "4-bit", "8-bit", "bitsandbytes") != "":
		return "quantized", "tag " + has("gguf", "gptq", "awq", "exl2", "quantized", "4-bit", "8-bit", "bitsandbytes")
	case len(bases) > 1 || has("merge", "mergekit") != "":
		return "merge", "several base models or a merge tag"
	}
	return "finetune", "no adapter, quantization or merge marker"
}

func weightsFormat(tags []string, library string) string {
	for _, f := range []string{"gguf", "safetensors", "onnx", "mlx"} {
		if library == f || slices.ContainsFunc(tags, func(t string) bool { return strings.EqualFold(t, f) }) {
			return f
		}
	}
	return ""
}

// datasets reads the card's datasets as the MOF Datasets component; their
// licenses are on their own cards, so the component has none here.
func (r *cardReader) datasets() (domain.Component, bool) {
	names := slices.DeleteFunc(strs(r.meta["datasets"]), func(s string) bool { return s == "" })
	if len(names) == 0 {
		return domain.Component{}, false
	}
	comp := domain.Component{Name: "Datasets", Included: true}
	if len(names) == 1 {
		comp.Location = "https://huggingface.co/datasets/" + names[0]
	}
	r.c.Unmapped = append(r.c.Unmapped, Unmapped{Field: "datasets", Line: r.line("datasets"), Value: truncate(strings.Join(names, ", "), 500),
		Reason: "read as the MOF Datasets component without a license: the datasets' licenses are on their own cards; state them in the bid"})
	return comp, true
}

// modelIndex reads model-index results as evaluation results: one
// evidence item per task and dataset, with its metrics.
func (r *cardReader) modelIndex() []domain.EvidenceItem {
	idx, _ := r.meta["model-index"].([]any)
	var out []domain.EvidenceItem
	for i, e := range idx {
		entry, _ := e.(map[string]any)
		results, _ := entry["results"].([]any)
		for j, res := range results {
			result, _ := res.(map[string]any)
			task, _ := result["task"].(map[string]any)
			dataset, _ := result["dataset"].(map[string]any)
			var metrics []string
			metricList, _ := result["metrics"].([]any)
			for _, mt := range metricList {
				metric, _ := mt.(map[string]any)
				name := firstNonEmpty(str(metric["name"]), str(metric["type"]))
				metrics = append(metrics, fmt.Sprintf("%s=%s", name, brief(metric["value"])))
			}
			taskName := firstNonEmpty(str(task["name"]), str(task["type"]))
			datasetName := firstNonEmpty(str(dataset["name"]), str(dataset["type"]))
			if taskName == "" && datasetName == "" && len(metrics) == 0 {
				continue
			}
			item := domain.EvidenceItem{Kind: "evaluation-results", Title: truncate(fmt.Sprintf("%s on %s", taskName, datasetName), 500),
				Location: fmt.Sprintf("README.md (model-index[%d].results[%d])", i, j),
				Summary:  truncate(fmt.Sprintf("task %s; dataset %s; %s", taskName, datasetName, strings.Join(metrics, ", ")), 4000)}
			if src, _ := result["source"].(map[string]any); str(src["url"]) != "" {
				item.Location = truncate(str(src["url"]), 2000)
			}
			out = append(out, item)
		}
	}
	return out
}

// cardSectionEvidence finds the card's sections that document risks and
// limitations, evaluation or training data, and are filled in: the Hub's
// card template leaves "[More Information Needed]" where nothing was said.
func cardSectionEvidence(body string) []domain.EvidenceItem {
	var out []domain.EvidenceItem
	seen := map[string]bool{}
	for _, s := range markdownSections(body) {
		lower := strings.ToLower(s.heading)
		for _, cs := range cardSections {
			if !cs.pattern.MatchString(lower) || seen[lower] {
				continue
			}
			text := placeholder.ReplaceAllString(s.text, "")
			if len(strings.Fields(text)) < 5 {
				break
			}
			seen[lower] = true
			out = append(out, domain.EvidenceItem{Kind: cs.kind, Title: truncate(s.heading, 500), Location: "README.md#" + slug(s.heading),
				Summary: truncate(strings.Join(strings.Fields(text), " "), 300)})
			break
		}
	}
	return out
}

// placeholder matches what the Hub's card template and Trainer-generated
// cards leave in a section nobody filled in, and HTML comments.
var placeholder = regexp.MustCompile(`(?is)<!--.*?-->|\[more information needed\]|more information needed`)

type mdSection struct{ heading, text string }

// markdownSections splits a card body at its ATX headings, outside code fences.
func markdownSections(body string) []mdSection {
	var out []mdSection
	fenced := false
	for _, l := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(t, "#") {
			h := strings.TrimSpace(strings.TrimLeft(t, "#"))
			if h != "" {
				out = append(out, mdSection{heading: headingText(h)})
				continue
			}
		}
		if len(out) > 0 {
			out[len(out)-1].text += l + "\n"
		}
	}
	return out
}

// headingText drops Markdown emphasis and escapes from a heading.
func headingText(h string) string {
	return strings.TrimSpace(strings.NewReplacer("**", "", "__", "", "`", "", `\`, "").Replace(strings.Trim(h, "*_ ")))
}

// slug is the anchor the Hub renders for a heading.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case nil:
		return ""
	case []any, map[string]any:
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// strs reads a value that may be one string or a list of them.
func strs(v any) []string {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			if s := str(item); s != "" {
				out = append(out, s)
			}
		}
		return out
	case nil:
		return nil
	}
	if s := str(v); s != "" {
		return []string{s}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// refID writes a name as a LicenseRef- id: letters, digits, "." and "-".
func refID(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" {
		return s
	}
	return "unnamed"
}
