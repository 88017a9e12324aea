package domain

// Manifest is the native description of one candidate model, as a vendor
// submits it (schema: internal/manifest/schema/manifest.schema.json). Other
// formats (MOF model YAML, CycloneDX ML-BOM) are mapped into it.
type Manifest struct {
	SchemaVersion string         `json:"schema_version"`
	Name          string         `json:"name"`
	Version       string         `json:"version,omitempty"`
	Producer      string         `json:"producer,omitempty"`
	Description   string         `json:"description,omitempty"`
	Weights       Weights        `json:"weights"`
	Components    []Component    `json:"components,omitempty"`
	Evidence      []EvidenceItem `json:"evidence,omitempty"`
	Deployment    Deployment     `json:"deployment"`
	DataUse       DataUse        `json:"data_use"`
	// BaseModels are the models this one is derived from, as the model hub
	// names them; the license review compares their licenses with the
	// weights' (lineage). Empty for a model trained from scratch.
	BaseModels []BaseModel `json:"base_models,omitempty"`
	// Task, Languages and Tags describe the model as its card does
	// (Hugging Face pipeline_tag, language and tags).
	Task      string   `json:"task,omitempty"`
	Languages []string `json:"languages,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	// IntakeFindings are what reading the vendor's document found (a model
	// card without a license, an SPDX package rating its own risk high...).
	// They are set by the format readers, never accepted from a vendor, and
	// travel with the manifest so every check reports them.
	IntakeFindings []Finding `json:"intake_findings,omitempty"`
	// Attestations are the vendor's answers to the contract terms the
	// solicitation's policy packs ask about; omitted when empty, so
	// manifests hashed before attestations existed keep their hash.
	Attestations []Attestation `json:"attestations,omitempty"`
}

// BaseModel is a model another is derived from.
type BaseModel struct {
	Name string `json:"name"` // e.g. "meta-llama/Llama-3.1-8B-Instruct"
	// Relation is how the model derives from it: one of BaseModelRelations,
	// or empty when the source does not say.
	Relation string `json:"relation,omitempty"`
}

// BaseModelRelations are the Hugging Face Hub's kinds of derivation.
var BaseModelRelations = []string{"adapter", "merge", "quantized", "finetune"}

// Completeness scores how much of what an evaluation needs a manifest
// states: 100 when nothing is missing.
type Completeness struct {
	Score   int            `json:"score"`
	Missing []MissingField `json:"missing"`
}

// MissingField is one statement the evaluation needs that the manifest
// lacks, with what to add.
type MissingField struct {
	Field string `json:"field"` // manifest path, e.g. components[Datasets].license
	What  string `json:"what"`
	Fix   string `json:"fix"`
}

// Weights are the final parameters of the model: the artifact the agency runs.
type Weights struct {
	License  string `json:"license"` // SPDX license expression
	Location string `json:"location,omitempty"`
	Digest   string `json:"digest,omitempty"` // sha256:<hex>
	Format   string `json:"format,omitempty"` // e.g. safetensors, gguf
	// LicenseText is the license text the vendor attached, when it offers
	// one; the license review identifies it and flags changes to a known one.
	LicenseText string `json:"license_text,omitempty"`
	// Files are the weights' files by slash path with their SHA-256 (hex),
	// as artifact.DigestDir lists them: what an award pins and a delivery
	// is checked against.
	Files map[string]string `json:"files,omitempty"`
	// Signature is the OMS signature of the weights (the model.sig a
	// model_signing signer wrote: a Sigstore bundle, as JSON text); the
	// check verifies it against Files under the vendor's signing identities.
	Signature string `json:"signature,omitempty"`
}

// Component is one of the Model Openness Framework's 17 components.
type Component struct {
	Name     string `json:"name"`              // MOF component name, e.g. "Training code"
	License  string `json:"license,omitempty"` // SPDX license expression
	Location string `json:"location,omitempty"`
	Included bool   `json:"included"`
	// LicenseText is the license text the vendor attached, as for Weights.
	LicenseText string `json:"license_text,omitempty"`
}

// EvidenceItem is one piece of safety or governance evidence.
type EvidenceItem struct {
	Kind     string `json:"kind"` // see EvidenceKinds
	Title    string `json:"title,omitempty"`
	Location string `json:"location,omitempty"`
	Date     string `json:"date,omitempty"` // YYYY-MM-DD the evidence was produced
	Scope    string `json:"scope,omitempty"`
	Summary  string `json:"summary,omitempty"`
}

// EvidenceKinds lists the kinds of evidence the policies know.
var EvidenceKinds = []string{
	"model-card",
	"evaluation-results",
	"red-team-report",
	"content-filtering",
	"incident-response",
	"data-card",
	"nist-ai-rmf-mapping",
	"pre-deployment-testing",
	"impact-assessment",
	"third-party-red-team",
	"human-oversight-plan",
	"monitoring-plan",
	"remedies-and-appeals",
	"genai-risk-coverage",
	// Asked for by policy packs (policies/data/policy_packs.json).
	"acceptable-use-policy",
	"system-card",
	"end-user-resources",
	"feedback-mechanism",
	"training-content-summary",
	"model-documentation",
	"copyright-policy",
}

// AttestationAnswer is a vendor's yes or no to a contract term.
type AttestationAnswer string

const (
	AnswerYes AttestationAnswer = "yes"
	AnswerNo  AttestationAnswer = "no"
)

// Attestation is a vendor's structured answer to one contract term a policy
// pack asks about (e.g. "no-training-on-government-data"), with a reference
// to the bid document that carries the commitment.
type Attestation struct {
	Term     string            `json:"term"`
	Answer   AttestationAnswer `json:"answer"`
	Document string            `json:"document,omitempty"` // e.g. "Volume II, section 4.2"
}

// Deployment says where the weights may run: on agency infrastructure or only
// as the vendor's hosted service.
type Deployment struct {
	OnPremises        bool `json:"on_premises"`
	WeightsExportable bool `json:"weights_exportable"`
}

// DataUse records what the vendor does with agency data. A nil pointer means
// the vendor did not say.
type DataUse struct {
	TrainsOnAgencyData *bool `json:"trains_on_agency_data,omitempty"`
}

// MOFComponents are the Model Openness Framework's 17 component names.
var MOFComponents = []string{
	"Datasets",
	"Data preprocessing code",
	"Model architecture",
	"Model parameters (Final)",
	"Model parameters (Intermediate)",
	"Model metadata",
	"Training code",
	"Inference code",
	"Evaluation code",
	"Evaluation data",
	"Evaluation results",
	"Supporting libraries and tools",
	"Model card",
	"Data card",
	"Technical report",
	"Research paper",
	"Sample model outputs",
}
