package config

import (
	"fmt"
	"sort"
)

// migrateLegacy rewrites keys of older config shapes into the current one, in
// place, and returns one note per change ("whatsapp → channels.whatsapp"). Two
// older shapes are known: the original's earlier keys (whatsapp, telegram, …,
// routing.*, agent.*, identity, gateway.token, tools.bash), which it migrates the
// same way, and this gateway's own first shape (agent.backend openai|command with
// agent.openai.* / agent.command.*, telegram.mode, logging.redactSensitive as a
// boolean). A current key that is already set wins over a legacy one.
func migrateLegacy(tree any) []string {
	root, ok := tree.(map[string]any)
	if !ok {
		return nil
	}
	m := &migration{root: root}
	for _, ch := range []string{"whatsapp", "telegram", "discord", "slack", "signal", "imessage", "msteams"} {
		if v, ok := root[ch]; ok {
			delete(root, ch)
			m.merge([]string{"channels", ch}, v)
			m.note("%s → channels.%s", ch, ch)
		}
	}
	if v, ok := root["providers"]; ok {
		delete(root, "providers")
		if pm, ok := v.(map[string]any); ok {
			for k, e := range pm {
				m.merge([]string{"channels", k}, e)
			}
		}
		m.note("providers → channels")
	}
	m.telegramMode()
	m.routing()
	m.gatewayToken()
	m.agent()
	m.identity()
	if tools, ok := root["tools"].(map[string]any); ok {
		if v, ok := tools["bash"]; ok {
			delete(tools, "bash")
			m.merge([]string{"tools", "exec"}, v)
			m.note("tools.bash → tools.exec")
		}
	}
	if lg, ok := root["logging"].(map[string]any); ok {
		if b, ok := lg["redactSensitive"].(bool); ok {
			lg["redactSensitive"] = map[bool]string{true: "tools", false: "off"}[b]
			m.note("logging.redactSensitive %v → %q", b, lg["redactSensitive"])
		}
	}
	return m.notes
}

type migration struct {
	root  map[string]any
	notes []string
}

func (m *migration) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

// obj returns the object at path, creating missing levels (a non-object in the
// way is replaced only when create is set).
func (m *migration) obj(path []string) map[string]any {
	cur := m.root
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	return cur
}

// get returns the value at path and whether it is set.
func (m *migration) get(path ...string) (any, bool) {
	var cur any = m.root
	for _, k := range path {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = o[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// setDefault sets path to v unless a value is already there.
func (m *migration) setDefault(path []string, v any) {
	parent := m.obj(path[:len(path)-1])
	if _, ok := parent[path[len(path)-1]]; !ok {
		parent[path[len(path)-1]] = v
	}
}

// merge puts v at path; when both are objects the current keys win.
func (m *migration) merge(path []string, v any) {
	parent := m.obj(path[:len(path)-1])
	k := path[len(path)-1]
	cur, ok := parent[k]
	if !ok {
		parent[k] = v
		return
	}
	co, ok1 := cur.(map[string]any)
	vo, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return
	}
	for vk, vv := range vo {
		if _, set := co[vk]; !set {
			co[vk] = vv
		}
	}
}

// telegramMode drops this gateway's old channels.telegram.mode (webhook mode is
// implied by webhookUrl in the current shape) and moves requireMention.
func (m *migration) telegramMode() {
	tg, ok := m.root["channels"].(map[string]any)
	if !ok {
		return
	}
	t, ok := tg["telegram"].(map[string]any)
	if !ok {
		return
	}
	if v, ok := t["mode"]; ok {
		delete(t, "mode")
		m.note("telegram.mode %v dropped (webhook mode follows channels.telegram.webhookUrl)", v)
	}
	if v, ok := t["requireMention"]; ok {
		delete(t, "requireMention")
		m.setDefault([]string{"channels", "telegram", "groups", "*", "requireMention"}, v)
		m.note(`telegram.requireMention → channels.telegram.groups."*".requireMention`)
	}
}

func (m *migration) routing() {
	r, ok := m.root["routing"].(map[string]any)
	if !ok {
		return
	}
	if v, ok := r["allowFrom"]; ok {
		delete(r, "allowFrom")
		m.setDefault([]string{"channels", "whatsapp", "allowFrom"}, v)
		m.note("routing.allowFrom → channels.whatsapp.allowFrom")
	}
	if v, ok := r["bindings"]; ok {
		delete(r, "bindings")
		m.setDefault([]string{"bindings"}, v)
		m.note("routing.bindings → bindings")
	}
	if v, ok := r["agentToAgent"]; ok {
		delete(r, "agentToAgent")
		m.setDefault([]string{"tools", "agentToAgent"}, v)
		m.note("routing.agentToAgent → tools.agentToAgent")
	}
	if v, ok := r["queue"]; ok {
		delete(r, "queue")
		m.setDefault([]string{"messages", "queue"}, v)
		m.note("routing.queue → messages.queue")
	}
	if gc, ok := r["groupChat"].(map[string]any); ok {
		if v, ok := gc["requireMention"]; ok {
			delete(gc, "requireMention")
			for _, ch := range []string{"whatsapp", "telegram", "imessage"} {
				if _, set := m.get("channels", ch); set || ch != "imessage" {
					m.setDefault([]string{"channels", ch, "groups", "*", "requireMention"}, v)
				}
			}
			m.note(`routing.groupChat.requireMention → channels.<channel>.groups."*".requireMention`)
		}
		if v, ok := gc["mentionPatterns"]; ok {
			delete(gc, "mentionPatterns")
			m.setDefault([]string{"messages", "groupChat", "mentionPatterns"}, v)
			m.note("routing.groupChat.mentionPatterns → messages.groupChat.mentionPatterns")
		}
		if len(gc) == 0 {
			delete(r, "groupChat")
		}
	}
	if ag, ok := r["agents"].(map[string]any); ok {
		delete(r, "agents")
		def, _ := r["defaultAgentId"].(string)
		delete(r, "defaultAgentId")
		ids := make([]string, 0, len(ag))
		for id := range ag {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		list, _ := m.obj([]string{"agents"})["list"].([]any)
		for _, id := range ids {
			entry := map[string]any{"id": id}
			if o, ok := ag[id].(map[string]any); ok {
				for k, v := range o {
					entry[k] = v
				}
				entry["id"] = id
			}
			if id == def {
				entry["default"] = true
			}
			list = append(list, entry)
		}
		m.obj([]string{"agents"})["list"] = list
		m.note("routing.agents → agents.list")
	}
	if len(r) == 0 {
		delete(m.root, "routing")
	}
}

func (m *migration) gatewayToken() {
	gw, ok := m.root["gateway"].(map[string]any)
	if !ok {
		return
	}
	if v, ok := gw["token"]; ok {
		delete(gw, "token")
		m.setDefault([]string{"gateway", "auth", "token"}, v)
		m.note("gateway.token → gateway.auth.token")
	}
}

func (m *migration) identity() {
	v, ok := m.root["identity"]
	if !ok {
		return
	}
	delete(m.root, "identity")
	agents := m.obj([]string{"agents"})
	list, _ := agents["list"].([]any)
	for _, e := range list {
		if o, ok := e.(map[string]any); ok && (o["default"] == true || len(list) == 1) {
			if _, set := o["identity"]; !set {
				o["identity"] = v
			}
			m.note("identity → agents.list[].identity")
			return
		}
	}
	agents["list"] = append(list, map[string]any{"id": "main", "default": true, "identity": v})
	m.note("identity → agents.list[].identity")
}

// agent moves agent.* to agents.defaults (tool settings to tools.*), and turns
// this gateway's old backend keys into providers and CLI backends:
//
//	agent.backend openai, agent.openai.{baseUrl, model, apiKeyEnv, temperature, systemPrompt}
//	  → models.providers.openai {baseUrl, api: openai-completions, apiKey: "${ENV}", models},
//	    agents.defaults.model.primary "openai/<model>", agents.defaults.models[…].params.temperature,
//	    agents.defaults.systemPrompt
//	agent.backend command, agent.command.{program, args, env, workdir}
//	  → agents.defaults.cliBackends.command {command, args, env}, model.primary "command/cli",
//	    agents.defaults.workspace (workdir, when no workspace is set)
func (m *migration) agent() {
	a, ok := m.root["agent"].(map[string]any)
	if !ok {
		if _, set := m.root["agent"]; set {
			delete(m.root, "agent")
			m.note("agent (not an object) dropped")
		}
		return
	}
	delete(m.root, "agent")
	m.note("agent → agents.defaults")
	d := m.obj([]string{"agents", "defaults"})
	backendKind, _ := a["backend"].(string)
	if backendKind == "openai" || backendKind == "command" {
		delete(a, "backend")
	} // any other value stays, as agents.defaults.backend, for the validator to refuse
	openai, _ := a["openai"].(map[string]any)
	delete(a, "openai")
	command, _ := a["command"].(map[string]any)
	delete(a, "command")
	if backendKind == "" {
		switch {
		case openai != nil && openai["baseUrl"] != nil:
			backendKind = "openai"
		case command != nil && command["program"] != nil:
			backendKind = "command"
		}
	}
	if sp, ok := openai["systemPrompt"]; ok {
		m.setDefault([]string{"agents", "defaults", "systemPrompt"}, sp)
	}
	// Both old sections move whatever the backend, so nothing written is lost;
	// agent.backend picks which one the primary model names.
	if openai != nil {
		// The old default endpoint was none (a missing baseUrl stopped the agent);
		// the current shape needs one, so the public OpenAI API stands in.
		prov := map[string]any{"api": "openai-completions", "models": []any{}, "baseUrl": DefaultOpenAIBaseURL}
		if v, ok := openai["baseUrl"]; ok {
			prov["baseUrl"] = v
		}
		model, _ := openai["model"].(string)
		if model != "" {
			prov["models"] = []any{map[string]any{"id": model, "name": model}}
		}
		if env, ok := openai["apiKeyEnv"].(string); ok && env != "" {
			prov["apiKey"] = "${" + env + "}"
		}
		m.merge([]string{"models", "providers", "openai"}, prov)
		ref := "openai/" + model
		if t, ok := openai["temperature"]; ok {
			m.setDefault([]string{"agents", "defaults", "models", ref, "params", "temperature"}, t)
		}
		if backendKind == "openai" {
			m.setDefault([]string{"agents", "defaults", "model", "primary"}, ref)
		}
		m.note("agent.openai → models.providers.openai (model %q)", ref)
	}
	if command != nil {
		cli := map[string]any{}
		if v, ok := command["program"]; ok {
			cli["command"] = v
		}
		for _, k := range []string{"args", "env"} {
			if v, ok := command[k]; ok {
				cli[k] = v
			}
		}
		m.merge([]string{"agents", "defaults", "cliBackends", "command"}, cli)
		if v, ok := command["workdir"]; ok {
			m.setDefault([]string{"agents", "defaults", "workspace"}, v)
		}
		if backendKind == "command" {
			m.setDefault([]string{"agents", "defaults", "model", "primary"}, "command/cli")
		}
		m.note("agent.command → agents.defaults.cliBackends.command (model \"command/cli\")")
	}
	// A backend named without its section: the primary model says which, and the
	// agent reports what is missing when it starts.
	if backendKind == "openai" && openai == nil {
		m.setDefault([]string{"agents", "defaults", "model", "primary"}, "openai/")
	}
	if backendKind == "command" && command == nil {
		m.setDefault([]string{"agents", "defaults", "model", "primary"}, "command/cli")
	}
	// The runbook's model keys.
	if v, ok := a["model"]; ok {
		delete(a, "model")
		if s, ok := v.(string); ok {
			m.setDefault([]string{"agents", "defaults", "model", "primary"}, s)
		} else {
			m.merge([]string{"agents", "defaults", "model"}, v)
		}
	}
	if v, ok := a["modelFallbacks"]; ok {
		delete(a, "modelFallbacks")
		m.setDefault([]string{"agents", "defaults", "model", "fallbacks"}, v)
	}
	if v, ok := a["imageModel"]; ok {
		delete(a, "imageModel")
		if s, ok := v.(string); ok {
			m.setDefault([]string{"agents", "defaults", "imageModel", "primary"}, s)
		} else {
			m.merge([]string{"agents", "defaults", "imageModel"}, v)
		}
	}
	if v, ok := a["imageModelFallbacks"]; ok {
		delete(a, "imageModelFallbacks")
		m.setDefault([]string{"agents", "defaults", "imageModel", "fallbacks"}, v)
	}
	if v, ok := a["allowedModels"].([]any); ok {
		delete(a, "allowedModels")
		for _, e := range v {
			if s, ok := e.(string); ok {
				m.setDefault([]string{"agents", "defaults", "models", s}, map[string]any{})
			}
		}
	}
	if v, ok := a["modelAliases"].(map[string]any); ok {
		delete(a, "modelAliases")
		for alias, e := range v {
			if s, ok := e.(string); ok {
				m.setDefault([]string{"agents", "defaults", "models", s, "alias"}, alias)
			}
		}
	}
	// Tool settings moved to tools.*.
	for _, k := range []string{"tools", "elevated", "bash", "exec", "sandbox"} {
		v, ok := a[k]
		if !ok {
			continue
		}
		switch k {
		case "tools":
			m.merge([]string{"tools"}, v)
		case "bash", "exec":
			m.merge([]string{"tools", "exec"}, v)
		case "elevated":
			m.merge([]string{"tools", "elevated"}, v)
		default:
			continue // agents.defaults.sandbox exists: copied below
		}
		delete(a, k)
	}
	for k, v := range a {
		if _, set := d[k]; !set {
			d[k] = v
		}
	}
}
