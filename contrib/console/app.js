// strata console: a thin client of the node's JSON API (/api/*, the schema
// of the commands' --json).  Every value goes into the page as text, never
// as markup; the page changes nothing on the node.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TIERS = ["province", "district", "street", "community"];	// top to bottom
let session = { logged_in: false };
let routeGen = 0;	// each route() is one generation; an answer for an older one is dropped

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === "class") e.className = v;
		else if (k === "onclick") e.addEventListener("click", v);
		else if (k === "onsubmit") e.addEventListener("submit", v);
		else e.setAttribute(k, v);
	}
	for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
	return e;
}
function svg(tag, attrs, ...kids) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
	for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
	return e;
}
// an RFC 3339 time as the viewer's local time
function when(t) {
	if (!t) return "—";
	const d = new Date(t);
	return isNaN(d) ? t : d.toLocaleString();
}
function short(c) { return c ? c.slice(0, 12) : "—"; }
function enc(v) { return encodeURIComponent(v); }

async function api(path) {
	const gen = routeGen;
	const r = await fetch("/api/" + path, { credentials: "same-origin" });
	let body = null;
	try { body = await r.json(); } catch (e) { body = null; }
	if (gen !== routeGen) {
		const stale = new Error("a newer page was asked for");
		stale.stale = true;
		throw stale;
	}
	if (!r.ok) {
		const err = new Error(body && body.error ? body.error : r.status + " " + r.statusText);
		err.status = r.status;
		throw err;
	}
	return body;
}

function table(cols, rows, cells) {
	return el("table", {},
		el("thead", {}, el("tr", {}, cols.map((c) => el("th", {}, c)))),
		el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, cells(r).map((c) =>
			c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)))) :
			el("tr", {}, el("td", { colspan: cols.length, class: "muted" }, "none"))));
}
function num(n) { return el("td", { class: "num" }, n === null || n === undefined ? "—" : String(n)); }
function errorBox(e) {
	const box = el("div", { class: "error" }, e.message);
	if (e.status === 401 && !session.logged_in) box.append(" ", el("a", { href: "#/login" }, "Log in"));
	return box;
}
function show(...nodes) {
	const m = document.getElementById("main");
	m.replaceChildren(...nodes);
}

// ---- federation ----

function peerState(p) {
	const net = p.network || {};
	if (p.unreachable || (net.last_error_time && (!net.last_success || net.last_error_time > net.last_success)))
		return ["bad", "failing" + (net.last_error ? ": " + net.last_error : "")];
	if (p.waiting > 0) return ["wait", p.waiting + " view" + (p.waiting === 1 ? "" : "s") + " waiting"];
	return ["ok", "in sync"];
}

function graph(st) {
	const me = { peer: st.node, tier: st.tier, me: true };
	const nodes = [me, ...st.peers];
	const rows = {};
	for (const n of nodes) {
		const t = TIERS.includes(n.tier) ? n.tier : "department";
		(rows[t] = rows[t] || []).push(n);
	}
	const order = TIERS.concat(["department"]).filter((t) => rows[t]);
	const W = 1000, rowH = 110, boxW = 190, boxH = 46;
	const H = order.length * rowH + 20;
	const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "the federation as this node sees it" });
	const defs = svg("defs");
	for (const [id, color] of [["ok", "#2f855a"], ["wait", "#b7791f"], ["bad", "#c53030"]])
		defs.append(svg("marker", { id: "arrow-" + id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
			svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color })));
	s.append(defs);
	const pos = new Map();
	order.forEach((t, ri) => {
		const list = rows[t];
		list.forEach((n, i) => {
			const x = (W / (list.length + 1)) * (i + 1), y = 20 + ri * rowH + boxH / 2;
			pos.set(n.peer, { x, y });
		});
		s.append(svg("text", { x: 8, y: 20 + ri * rowH + boxH / 2 + 4, fill: "#5a6475", "font-size": 12 }, t));
	});
	const colors = { ok: "#2f855a", wait: "#b7791f", bad: "#c53030" };
	for (const p of st.peers) {
		const a = pos.get(st.node), b = pos.get(p.peer), [state] = peerState(p);
		const dir = p.direction || "both";
		const attrs = { x1: a.x, y1: a.y + (b.y > a.y ? boxH / 2 : b.y < a.y ? -boxH / 2 : 0), x2: b.x, y2: b.y + (b.y > a.y ? -boxH / 2 : b.y < a.y ? boxH / 2 : 0),
			stroke: colors[state], "stroke-width": 2 };
		if (dir === "push" || dir === "both") attrs["marker-end"] = `url(#arrow-${state})`;
		if (dir === "pull" || dir === "both") attrs["marker-start"] = `url(#arrow-${state})`;
		s.append(svg("line", attrs));
		// the label near the peer's end, on its side of the line, so that converging lines do not overprint
		const f = 0.62, mx = attrs.x1 + f * (attrs.x2 - attrs.x1), my = attrs.y1 + f * (attrs.y2 - attrs.y1);
		const left = attrs.x2 < attrs.x1 - 1, dx = left ? -8 : 8, anchor = left ? "end" : "start";
		const out = p.out && p.out.time ? "sent " + when(p.out.time) : null, inn = p.in && p.in.time ? "received " + when(p.in.time) : null;
		s.append(svg("text", { x: mx + dx, y: my - 2, "font-size": 11, fill: "#1a202c", "text-anchor": anchor }, dir + (out ? " · " + out : "")));
		if (inn) s.append(svg("text", { x: mx + dx, y: my + 12, "font-size": 11, fill: "#1a202c", "text-anchor": anchor }, inn));
	}
	for (const n of nodes) {
		const { x, y } = pos.get(n.peer);
		const state = n.me ? null : peerState(n)[0];
		const g = svg("g", {});
		g.append(svg("rect", { x: x - boxW / 2, y: y - boxH / 2, width: boxW, height: boxH, rx: 6,
			fill: n.me ? "#2b6cb0" : "#fff", stroke: n.me ? "#2b6cb0" : colors[state], "stroke-width": 2 }));
		g.append(svg("text", { x, y: y - 3, "text-anchor": "middle", "font-size": 13, "font-weight": 600, fill: n.me ? "#fff" : "#1a202c" }, n.peer));
		g.append(svg("text", { x, y: y + 13, "text-anchor": "middle", "font-size": 11, fill: n.me ? "#e2ecf7" : "#5a6475" },
			n.me ? "this node · " + n.tier : n.tier + (n.policy ? " · " + n.policy : "")));
		s.append(g);
	}
	return el("div", { class: "graph" }, s);
}

async function federation() {
	const st = await api("status");
	const problems = st.health.problems || [];
	const summary = el("div", { class: "summary" + (st.health.ok ? "" : " bad") },
		st.health.ok ? "Healthy: every peer in sync as far as this node knows." : problems.length + " thing" + (problems.length === 1 ? "" : "s") + " need attention: ",
		problems.length ? el("ul", {}, problems.map((p) => el("li", {}, p))) : null);
	const peerRows = st.peers.map((p) => {
		const [state, text] = peerState(p);
		return [el("a", { href: "#/peer/" + enc(p.peer) }, p.peer), p.tier, p.direction, p.policy || "—", p.url || "—",
			when(p.out && p.out.time), when(p.in && p.in.time), el("span", { class: "badge " + state }, text)];
	});
	const views = [];
	for (const p of st.peers) {
		for (const v of p.views || []) views.push([p.peer, "sent to it", v.name, v.state, short(v.commit), short(v.sent)]);
		for (const v of p.received || []) views.push([p.peer, "received from it", v.name, v.state, short(v.commit), "—"]);
	}
	show(el("h1", {}, "Federation"), summary, graph(st),
		el("h2", {}, "Peers"),
		table(["peer", "tier", "direction", "policy", "url", "last sent", "last received", "state"], peerRows, (r) => r),
		el("h2", {}, "Views: what each peer holds"),
		table(["peer", "", "view", "state", "commit here", "commit it holds"], views, (r) => r));
}

async function peer(name) {
	const p = await api("peer?peer=" + enc(name));
	const rows = Object.entries(p).filter(([k, v]) => typeof v !== "object" || v === null).map(([k, v]) => [k, v === null ? "—" : String(v)]);
	const sides = ["sent", "received", "network"].map((k) => [k, p[k] ? JSON.stringify(p[k]) : "—"]);
	show(el("h1", {}, "Peer " + name), table(["", ""], rows.concat(sides), (r) => [r[0], el("span", { class: "mono" }, r[1])]));
}

// ---- datasets ----

async function datasets() {
	const ds = await api("datasets");
	show(el("h1", {}, "Datasets"),
		table(["name", "from", "owner", "records", "last change", "policy", "purpose", "onward", "retention"], ds, (d) => [
			el("a", { href: "#/dataset/" + enc(d.name) }, d.name), d.from, d.owner || "—", num(d.records), when(d.last_change),
			d.policy ? d.policy + (d.policy_version ? " v" + d.policy_version : "") : "—", d.purpose || "—", d.onward || "—", d.retention || "—"]));
}

async function dataset(name, tab, arg) {
	const own = !name.includes("/");
	const tabs = el("div", { class: "tabs" },
		el("a", { href: "#/dataset/" + enc(name), class: tab === "log" ? "active" : null }, "History"),
		el("a", { href: "#/dataset/" + enc(name) + "/records", class: tab === "records" ? "active" : null }, "Records"));
	const head = [el("h1", {}, name), el("p", { class: "muted" }, own ? "This node's own dataset: its records are raw personal data, shown only after a login." :
		"Received data, as this node holds it (already redacted by the sender's policy)."), tabs];
	if (tab === "records") return records(name, head, arg);
	const log = await api("log?dataset=" + enc(name));
	show(...head, table(["commit", "time", "signature", "signer", "change"], log, (c) => [
		el("span", { class: "mono" }, short(c.commit)), when(c.time),
		el("span", { class: c.signature === "good" ? "ok" : "bad" }, c.signature), c.signer || "—", c.subject]));
}

async function records(name, head, key) {
	const form = el("form", { class: "row", onsubmit: (ev) => { ev.preventDefault(); location.hash = "#/dataset/" + enc(name) + "/records/" + enc(form.elements.key.value.trim()); } },
		el("label", {}, "Search by key", el("input", { name: "key", value: key || "", placeholder: "the record's key", size: 40 })),
		el("button", { type: "submit" }, "Find"));
	if (key) {
		let hist;
		try { hist = await api("history?dataset=" + enc(name) + "&key=" + enc(key)); } catch (e) { if (e.stale) throw e; return show(...head, form, errorBox(e)); }
		const fields = Array.from(new Set(hist.flatMap((h) => h.record ? Object.keys(h.record) : [])));
		return show(...head, form,
			el("p", {}, el("a", { href: "#/trace/" + enc(name) + "/" + enc(key) }, "Trace this record through the tiers")),
			table(["time", "change", "node", "signature"].concat(fields), hist, (h) => [when(h.time), h.change, h.node || "—",
				el("span", { class: h.signature === "good" ? "ok" : "bad" }, h.signature)].concat(fields.map((f) => h.record && h.record[f] !== undefined ? h.record[f] : "—"))));
	}
	let rows;
	try { rows = await api("records?dataset=" + enc(name)); } catch (e) { if (e.stale) throw e; return show(...head, form, errorBox(e)); }
	const cols = rows.length ? Object.keys(rows[0]).filter((c) => c !== "_source") : [];
	show(...head, form, el("p", { class: "muted" }, "The first " + rows.length + " records. Search by key for one record's history."),
		table(cols, rows, (r) => cols.map((c) => r[c] === null ? "—" : r[c])));
}

async function trace(name, key) {
	const t = await api("trace?dataset=" + enc(name) + "&key=" + enc(key));
	const hops = t.hops || [];
	const W = 900, hopH = 86, H = hops.length * hopH + 20;
	const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "the record's way through the tiers" });
	hops.forEach((h, i) => {
		const y = 10 + i * hopH;
		if (i > 0) s.append(svg("line", { x1: 150, y1: y - hopH + 56, x2: 150, y2: y, stroke: "#4a5568", "stroke-width": 2 }));
		s.append(svg("rect", { x: 20, y, width: 260, height: 56, rx: 6, fill: "#fff", stroke: h.signature === "good" ? "#2f855a" : "#c53030", "stroke-width": 2 }));
		s.append(svg("text", { x: 150, y: y + 22, "text-anchor": "middle", "font-size": 13, "font-weight": 600 }, h.node + " (" + (h.tier || "?") + ")"));
		s.append(svg("text", { x: 150, y: y + 40, "text-anchor": "middle", "font-size": 11, fill: "#5a6475" }, h.role));
		s.append(svg("text", { x: 300, y: y + 22, "font-size": 12 }, "commit " + short(h.commit) + " · signature " + h.signature + (h.signer ? " by " + h.signer : "")));
		s.append(svg("text", { x: 300, y: y + 40, "font-size": 12, fill: "#5a6475" },
			(h.policy ? "policy " + h.policy + (h.policy_version ? " v" + h.policy_version : "") + " · " : "") + (h.purpose ? "purpose: " + h.purpose + " · " : "") + when(h.committed)));
	});
	show(el("h1", {}, "Trace of " + key + " in " + name), el("div", { class: "graph" }, s),
		el("h2", {}, "Each hop"), table(["node", "role", "commit", "signature", "when", "record"], hops, (h) => [
			h.node, h.role, el("span", { class: "mono" }, short(h.commit)), h.signature, when(h.committed),
			el("span", { class: "mono" }, h.record ? JSON.stringify(h.record) : "—")]));
}

// ---- policies ----

async function policies() {
	const ps = await api("policies");
	const peers = await api("peers");
	const blocks = [el("h1", {}, "Policies")];
	if (!ps.length) blocks.push(el("p", { class: "muted" }, "No policy committed on this node."));
	for (const p of ps) {
		const versions = p.versions || [];
		const recips = p.peers.map((x) => "peer " + x).concat(p.tiers.map((x) => "tier " + x)).join(", ");
		const from = el("select", { name: "from" }, versions.map((v) => el("option", { value: v.version }, "version " + v.version)));
		const to = el("select", { name: "to" }, versions.map((v) => el("option", { value: v.version, selected: v.version === p.version ? "selected" : null }, "version " + v.version)));
		const out = el("div", {});
		const form = el("form", { class: "row", onsubmit: async (ev) => {
			ev.preventDefault();
			try {
				const d = await api("policy-diff?policy=" + enc(p.policy) + "&from=" + enc(from.value) + "&to=" + enc(to.value));
				out.replaceChildren(d.changes.length ? el("ul", {}, d.changes.map((c) => el("li", { class: "change" + (c.more_visible ? " more" : c.less_visible ? " less" : "") },
					(c.dataset ? c.dataset + (c.field ? "." + c.field : "") + ": " : "") + c.what + (c.old || c.new ? " (" + (c.old || "—") + " → " + (c.new || "—") + ")" : "") + (c.why ? ". " + c.why : ""))))
					: el("p", { class: "muted" }, "No difference."));
			} catch (e) { out.replaceChildren(errorBox(e)); }
		} }, el("label", {}, "From", from), el("label", {}, "To", to), el("button", { type: "submit" }, "Compare"));
		const risk = el("div", {}, el("button", { type: "button", onclick: async () => {
			try {
				const r = await api("risk?policy=" + enc(p.policy));
				risk.replaceChildren(table(["recipient", "dataset", "records", "classes", "min k", "unique", "in classes below 5", "max risk", "average risk"], r.risk || [], (x) => [
					x.peer, x.dataset, num(x.records), num(x.risk && x.risk.classes), num(x.risk && x.risk.min_k), num(x.risk && x.risk.unique),
					num(x.risk && x.risk.below_5), num(x.risk && x.risk.max_risk !== undefined ? x.risk.max_risk.toFixed(3) : null),
					num(x.risk && x.risk.avg_risk !== undefined ? x.risk.avg_risk.toFixed(3) : null)]));
			} catch (e) { risk.replaceChildren(errorBox(e)); }
		} }, "Re-identification risk per recipient"));
		const latest = versions.find((v) => v.version === p.version) || versions[versions.length - 1];
		// what each recipient gets: the policy applied to the first records, with the recipient's own tokens
		const recipients = peers.filter((x) => x.policy === p.policy);
		const dsSel = el("select", { name: "dataset" }, p.datasets.map((d) => el("option", { value: d }, d)));
		const peerSel = el("select", { name: "peer" }, recipients.map((x) => el("option", { value: x.peer }, x.peer)));
		const verSel = el("select", { name: "version" }, versions.map((v) => el("option", { value: v.version, selected: v.version === p.version ? "selected" : null }, "version " + v.version)));
		const prevOut = el("div", {});
		const prevForm = el("form", { class: "row", onsubmit: async (ev) => {
			ev.preventDefault();
			try {
				const q = "preview?policy=" + enc(p.policy) + "&version=" + enc(verSel.value) + "&dataset=" + enc(dsSel.value) + (peerSel.value ? "&peer=" + enc(peerSel.value) : "");
				const r = await api(q);
				const fields = Array.from(new Set(r.records.flatMap((x) => Object.keys(x.before))));
				prevOut.replaceChildren(el("p", { class: "muted" }, "The first " + r.records.length + " records of " + r.dataset + " as " + (peerSel.value || "the recipient") +
					" would get them under version " + r.version + (r.filtered ? " (" + r.filtered + " left out by the policy's filters)" : "") + "."),
					table(fields, r.records, (x) => fields.map((f) => x.after[f] === null || x.after[f] === undefined ? el("td", { class: "muted" }, "(dropped)") : x.after[f])));
			} catch (e) { prevOut.replaceChildren(errorBox(e)); }
		} }, el("label", {}, "Version", verSel), el("label", {}, "Dataset", dsSel), el("label", {}, "Recipient", peerSel), el("button", { type: "submit" }, "Preview what it receives"));
		blocks.push(el("h2", {}, p.policy + " · version " + p.version),
			el("p", {}, "For " + (recips || "—") + "; shares " + p.datasets.join(", ") + ". Purpose: " + (latest ? latest.purpose : "—")),
			table(["version", "committed", "blob", "purpose"], versions, (v) => ["version " + v.version, when(v.committed), el("span", { class: "mono" }, short(v.blob)), v.purpose]),
			form, out, el("h2", {}, "What each recipient receives"), prevForm, prevOut, risk, latest ? el("details", {}, el("summary", {}, "The text of version " + latest.version), el("pre", {}, latest.text)) : null);
	}
	show(...blocks);
}

// ---- audit ----

async function audit(q) {
	const params = new URLSearchParams(q || "");
	const form = el("form", { class: "row", onsubmit: (ev) => {
		ev.preventDefault();
		const p = new URLSearchParams();
		for (const k of ["peer", "event", "since", "until"]) if (form.elements[k].value.trim()) p.set(k, form.elements[k].value.trim());
		location.hash = "#/audit?" + p.toString();
	} },
		el("label", {}, "Peer", el("input", { name: "peer", value: params.get("peer") || "", size: 18 })),
		el("label", {}, "Event", el("input", { name: "event", value: params.get("event") || "", size: 16, placeholder: "e.g. parcel-import" })),
		el("label", {}, "Since", el("input", { name: "since", value: params.get("since") || "", size: 20, placeholder: "2026-01-01" })),
		el("label", {}, "Until", el("input", { name: "until", value: params.get("until") || "", size: 20 })),
		el("button", { type: "submit" }, "Filter"));
	const query = new URLSearchParams();
	for (const k of ["peer", "event", "since", "until"]) if (params.get(k)) query.set(k, params.get(k));
	const verifyOut = el("div", {});
	const verify = el("button", { type: "button", onclick: async () => {
		verifyOut.replaceChildren(el("p", { class: "muted" }, "Verifying every commit…"));
		try {
			const v = await api("verify");
			verifyOut.replaceChildren(el("div", { class: "summary" + (v.ok ? "" : " bad") },
				(v.ok ? "verify --all: every signature good. " : "verify --all found problems. ") +
				v.commits + " commits: " + v.good + " good, " + v.bad + " bad, " + v.unsigned + " unsigned, " + v.untrusted + " untrusted." +
				(v.audit ? " Audit log: " + v.audit.events + " events, " + v.audit.problems.length + " problems." : "")),
				v.failed && v.failed.length ? table(["commit", "status", "signer"], v.failed, (f) => [short(f.commit), f.status, f.signer || "—"]) : "");
		} catch (e) { verifyOut.replaceChildren(errorBox(e)); }
	} }, "Verify every signature (verify --all)");
	let events = [], erasures = [], problem = null;
	try { events = await api("audit" + (query.toString() ? "?" + query.toString() : "")); } catch (e) { if (e.stale) throw e; problem = e; }
	try { erasures = await api("erasures"); } catch (e) { if (e.stale) throw e; erasures = []; }
	let refused = [];
	try { refused = await api("refused"); } catch (e) { if (e.stale) throw e; refused = []; }
	show(el("h1", {}, "Audit"), form, problem ? errorBox(problem) : "",
		el("p", { class: "muted" }, events.length + " signed events, newest first."),
		table(["time", "event", "what", "commit"], events.slice(0, 500), (e) => [when(e.time), e.event, e.subject, el("span", { class: "mono" }, short(e.commit))]),
		el("h2", {}, "Refused input"), el("p", { class: "muted" }, "Parcels, receipts and requests this node refused (local, unsigned: a refusal changes nothing)."),
		table(["time", "event", "from", "what", "why"], refused.slice(0, 200), (r) => [when(r.time), r.event || "—", r.sender || "—", r.what || "—", r.reason || "—"]),
		el("h2", {}, "Signatures"), verify, verifyOut,
		el("h2", {}, "Erasures passed on"),
		table(["erasure", "node", "view", "state", "confirmed", "via"], erasures, (x) => [el("span", { class: "mono" }, x.erasure), x.peer, x.view || "—",
			el("span", { class: x.state === "confirmed" ? "ok" : "wait" }, x.state), when(x.peer_last_confirmed), x.via || "—"]));
}

// ---- sharing as a process: the catalogue, requests for data, corrections ----

async function sharing() {
	let catalog = [], requests = [], corrections = [];
	try { catalog = await api("catalog"); } catch (e) { if (e.stale) throw e; }
	try { requests = await api("requests"); } catch (e) { if (e.stale) throw e; }
	try { corrections = await api("corrections"); } catch (e) { if (e.stale) throw e; }
	const state = (s) => el("span", { class: s === "overdue" || s === "refused" || s === "rejected" ? "bad" : s === "approved" || s === "done" || s === "accepted" ? "ok" : "wait" }, s);
	const open = requests.filter((r) => r.status === "open" || r.status === "overdue" || r.status === "leg-open").length;
	const overdue = requests.filter((r) => r.status === "overdue").length;
	show(el("h1", {}, "Sharing"),
		el("div", { class: "summary" + (overdue ? " bad" : "") }, requests.length + " requests for data here: " + open + " waiting for someone, " + overdue + " overdue."),
		el("h2", {}, "Requests for data"),
		el("p", { class: "muted" }, "Filed here, received as the data's owner, or passed on as a relay. The owner answers with 'strata answer'; each relay approves its own leg."),
		table(["request", "role", "status", "from", "owner / dataset", "fields", "deadline", "waiting on", "decision", "legs"], requests, (r) => [
			el("span", { class: "mono" }, r.id), r.role, state(r.status), r.from, r.owner + "/" + r.dataset, r.fields, when(r.deadline),
			r.waiting_on || "—", (r.decision || "—") + (r.reason ? ": " + r.reason : ""), r.legs || "—"]),
		el("h2", {}, "Corrections"),
		table(["correction", "role", "status", "filer", "dataset", "field", "proposed", "now", "note"], corrections, (c) => [
			el("span", { class: "mono" }, c.id), c.role, state(c.status), c.filer, c.dataset, c.field, c.value || "—", c.current || "—", c.note]),
		el("h2", {}, "Catalogue"),
		el("p", { class: "muted" }, "What this node and the nodes around it offer, as their catalogues came with the exchanges: no values."),
		table(["owner", "dataset", "title", "attribute", "records", "fields", "path", "as of"], catalog, (d) => [
			d.owner, d.dataset, d.title || "—", d.attribute, num(d.records), d.fields, d.path, when(d.as_of)]));
}

// ---- login ----

function login() {
	const msg = el("div", {});
	const form = el("form", { class: "row", onsubmit: async (ev) => {
		ev.preventDefault();
		const r = await fetch("/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: "token=" + enc(form.elements.token.value.trim()) });
		if (r.status === 204) { await loadSession(); location.hash = "#/federation"; return; }
		let b = null; try { b = await r.json(); } catch (e) { b = null; }
		msg.replaceChildren(el("div", { class: "error" }, b && b.error ? b.error : "login failed"));
	} }, el("label", {}, "Login token (printed when the console first started)", el("input", { name: "token", type: "password", size: 52, autocomplete: "off" })),
		el("button", { type: "submit" }, "Log in"));
	show(el("h1", {}, "Log in"), el("p", {}, "The records of this node's own datasets are shown only after a login."), form, msg);
}

async function loadSession() {
	session = await api("session");
	document.getElementById("node").textContent = session.node + " · " + session.tier;
	document.title = "strata · " + session.node;
	const s = document.getElementById("session");
	s.replaceChildren(session.logged_in ? el("button", { type: "button", onclick: async () => {
		await fetch("/logout", { method: "POST", credentials: "same-origin" });
		await loadSession(); route();
	} }, "Log out") : el("a", { href: "#/login" }, "Log in"));
}

async function route() {
	const gen = ++routeGen;
	const hash = location.hash.replace(/^#\/?/, "");
	const [pathPart, query] = hash.split("?");
	const parts = pathPart.split("/").map((p) => decodeURIComponent(p));
	const page = parts[0] || "federation";
	for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page || (page === "dataset" && a.dataset.page === "datasets") || (page === "trace" && a.dataset.page === "datasets") || (page === "peer" && a.dataset.page === "federation"));
	show(el("p", { class: "muted" }, "Loading…"));
	try {
		if (page === "federation") await federation();
		else if (page === "peer") await peer(parts[1]);
		else if (page === "datasets") await datasets();
		else if (page === "dataset") {
			// a dataset's name has slashes of its own (SENDER/.../NAME): the tab is the part after it
			const rest = parts.slice(1);
			const i = rest.indexOf("records");
			if (i >= 0) await dataset(rest.slice(0, i).join("/"), "records", rest.slice(i + 1).join("/") || null);
			else await dataset(rest.join("/"), "log");
		} else if (page === "trace") await trace(parts.slice(1, -1).join("/"), parts[parts.length - 1]);
		else if (page === "policies") await policies();
		else if (page === "audit") await audit(query);
		else if (page === "sharing") await sharing();
		else if (page === "login") login();
		else show(el("div", { class: "error" }, "No such page."));
	} catch (e) {
		if (e.stale || gen !== routeGen) return;
		show(errorBox(e));
	}
	if (gen === routeGen) document.body.dataset.loaded = page;
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
	try { await loadSession(); } catch (e) { show(errorBox(e)); return; }
	route();
});
