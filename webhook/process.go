package webhook

import (
	"time"

	"github.com/webhook-mcp/webhook-mcp/graph"
)

// TaskSummary is a short description of the task a payload carries.
type TaskSummary struct {
	TaskID   string `json:"task_id,omitempty"`
	TaskName string `json:"task_name,omitempty"`
	Status   string `json:"status,omitempty"`
	Text     string `json:"text" jsonschema:"one line describing the payload"`
}

// ProcessResult is a processed payload with its metadata and knowledge graph. It is
// the "result" object of the webhook endpoint's success envelope.
type ProcessResult struct {
	WebhookID      string               `json:"webhook_id"`
	ClientID       string               `json:"client_id"`
	ActionID       string               `json:"action_id"`
	Timestamp      time.Time            `json:"timestamp"`
	Source         string               `json:"source"`
	Summary        TaskSummary          `json:"summary"`
	Data           map[string]any       `json:"data" jsonschema:"the payload as received"`
	KnowledgeGraph graph.KnowledgeGraph `json:"knowledge_graph"`
}

// ProcessInput is what Process needs besides the payload itself.
type ProcessInput struct {
	WebhookID    string
	ClientID     string // explicit; else the payload's client_id
	ActionID     string // explicit; else the payload's action_id
	Source       string
	ExtractionID string
	Now          time.Time
}

// Process validates a payload and builds its result and knowledge graph.
func Process(data map[string]any, in ProcessInput) (ProcessResult, error) {
	clientID, err := ValidatePayload(in.ClientID, data)
	if err != nil {
		return ProcessResult{}, err
	}
	actionID := in.ActionID
	if actionID == "" {
		actionID = StringField(data, "action_id")
	}
	g := graph.Extract(data, graph.ExtractOptions{
		ClientID:           clientID,
		Source:             in.Source,
		IncludeTaskDetails: true,
		ExtractionID:       in.ExtractionID,
		Now:                in.Now,
	})
	return ProcessResult{
		WebhookID:      in.WebhookID,
		ClientID:       clientID,
		ActionID:       actionID,
		Timestamp:      in.Now.UTC(),
		Source:         in.Source,
		Summary:        Summarize(clientID, data),
		Data:           data,
		KnowledgeGraph: g,
	}, nil
}

// Summarize describes the task of a payload in one line.
func Summarize(clientID string, data map[string]any) TaskSummary {
	task, _ := data["task"].(map[string]any)
	if task == nil {
		if _, ok := data["id"]; ok {
			task = data
		}
	}
	if task == nil {
		return TaskSummary{Text: "payload for client " + clientID + " without a task"}
	}
	s := TaskSummary{}
	s.TaskID, _ = scalarID(task["id"])
	s.TaskName = StringField(task, "name")
	switch st := task["status"].(type) {
	case string:
		s.Status = st
	case map[string]any:
		s.Status = StringField(st, "status")
	}
	s.Text = "task " + s.TaskID
	if s.TaskName != "" {
		s.Text += " \"" + s.TaskName + "\""
	}
	if s.Status != "" {
		s.Text += " (" + s.Status + ")"
	}
	s.Text += " for client " + clientID
	return s
}
