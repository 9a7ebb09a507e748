// strata console: a thin client of the node's JSON API (/api/*, the schema
// of the commands' --json).  Every value goes into the page as text, never
// as markup; the page changes nothing on the node.
//
// Language: the reader's choice (the switch in the header, kept in
// localStorage), else the browser's.  Every message is t("English"),
// translated from the catalogue the tool's own messages come from
// (po/zh_CN.po, served as /zh_CN.json); a word of strata's own that the API
// gives (a tier, a state) goes through w().  The API's messages come in the
// same language: the page sets the cookie strata_lang, and the console runs
// its commands in that language.  Data (names, purposes, commit subjects,
// record values) is shown as it is, inside class "data".
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TIERS = ["province", "district", "street", "community"];	// top to bottom
let session = { logged_in: false };
let routeGen = 0;	// each route() is one generation; an answer for an older one is dropped
let lang = "en", dict = {};
let labels = {};	// dataset (last name) -> field -> label, from the catalogue

function chooseLang() {
	let l = null;
	try { l = localStorage.getItem("strata.lang"); } catch (e) { l = null; }
	if (l !== "en" && l !== "zh") l = (navigator.languages || [navigator.language || "en"]).some((x) => /^zh\b/i.test(x)) ? "zh" : "en";
	return l;
}
async function loadLang() {
	lang = chooseLang();
	document.cookie = "strata_lang=" + lang + "; path=/; SameSite=Strict";
	document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
	dict = {};
	if (lang === "zh") {
		const r = await fetch("/zh_CN.json", { credentials: "same-origin" });
		if (r.ok) dict = await r.json();
	}
}
// a message in the reader's language; {name} takes args.name
function t(msg, args) {
	let s = dict[msg] || msg;
	for (const [k, v] of Object.entries(args || {})) s = s.split("{" + k + "}").join(String(v));
	return s;
}
// a word of strata's own the API gives (a tier, a state, a role), in the reader's language
function w(word) { return word === null || word === undefined || word === "" ? "—" : dict[word] || word; }
// data, as it is: marked so that a reader (and the language test) tells it from the page's words
function data(v) { return el("span", { class: "data" }, v === null || v === undefined || v === "" ? "—" : String(v)); }
// a field's label (the catalogue's), else its name
function label(dataset, field) {
	const last = (dataset || "").split("/").pop();
	return (labels[last] && labels[last][field]) || field;
}

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
// an RFC 3339 time as YYYY-MM-DD HH:MM in the node's zone (session.utc_offset, minutes east of UTC)
function when(tm) {
	if (!tm) return "—";
	const d = new Date(tm);
	if (isNaN(d)) return tm;
	const z = new Date(d.getTime() + (session.utc_offset || 0) * 60000), p = (n) => String(n).padStart(2, "0");
	return z.getUTCFullYear() + "-" + p(z.getUTCMonth() + 1) + "-" + p(z.getUTCDate()) + " " + p(z.getUTCHours()) + ":" + p(z.getUTCMinutes());
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
		const err = new Error(body && body.error ? body.error : r.status + " " + t(r.statusText));
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
			el("tr", {}, el("td", { colspan: cols.length, class: "muted" }, t("none")))));
}
function num(n) { return el("td", { class: "num" }, n === null || n === undefined ? "—" : String(n)); }
function errorBox(e) {
	const box = el("div", { class: "error" }, e.message);
	if (e.status === 401 && !session.logged_in) box.append(" ", el("a", { href: "#/login" }, t("Log in")));
	return box;
}
let notice = null;
const recordsOffset = {};	// the records page each dataset was left at	// what the last change did: shown once, at the top of the page it leads back to
function show(...nodes) {
	const m = document.getElementById("main");
	if (notice && nodes.length && !(nodes.length === 1 && nodes[0].classList && nodes[0].classList.contains("muted"))) {
		nodes.unshift(el("div", { class: "notice ok" }, notice));
		notice = null;
	}
	m.replaceChildren(...nodes);
}

// ---- an officer's changes: each one asks for the passphrase again, and carries the session's token ----

function canAct() { return session && session.role === "officer"; }

async function act(name, fields) {
	const r = await fetch("/api/act/" + name, { method: "POST", credentials: "same-origin",
		headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Strata-CSRF": session.csrf || "" },
		body: new URLSearchParams(fields).toString() });
	let b = null;
	try { b = await r.json(); } catch (e) { b = null; }
	if (!r.ok) throw new Error(b && b.error ? b.error : r.status + " " + t(r.statusText));
	return b;
}

// a button that opens a small form: a reason if the change needs one, the passphrase, and confirm
// `next`: the page to go to once done (an erased record's page is no more), else this one again
function actionButton(text, name, fields, needReason, next) {
	const box = el("span", { class: "action" });
	const open = el("button", { type: "button", onclick: () => {
		const msg = el("span", { class: "muted" });
		const form = el("form", { class: "row act", onsubmit: async (ev) => {
			ev.preventDefault();
			const f = Object.assign({}, fields, { passphrase: form.elements.passphrase.value });
			if (needReason) f.reason = form.elements.reason.value.trim();
			form.elements.passphrase.value = "";
			msg.replaceChildren(t("Working…"));
			try {
				const r = await act(name, f);
				notice = t("Done: it is in the audit log under your name.") + (r && r.output ? " " + r.output.trim() : "");
				if (next && location.hash !== next) location.hash = next;
				else route();
			} catch (e) { msg.replaceChildren(el("span", { class: "error" }, e.message)); }
		} },
			needReason ? el("label", {}, t("Reason"), el("input", { name: "reason", size: 30, required: "required" })) : "",
			el("label", {}, t("Your passphrase"), el("input", { name: "passphrase", type: "password", size: 20, autocomplete: "current-password", required: "required" })),
			el("button", { type: "submit" }, t("Confirm")),
			el("button", { type: "button", onclick: () => box.replaceChildren(open) }, t("Cancel")), msg);
		box.replaceChildren(form);
		form.elements[needReason ? "reason" : "passphrase"].focus();
	} }, text);
	box.append(open);
	return box;
}

// ---- federation ----

function peerState(p) {
	const net = p.network || {};
	if (p.unreachable || (net.last_error_time && (!net.last_success || net.last_error_time > net.last_success)))
		return ["bad", t("failing") + (net.last_error ? ": " + net.last_error : "")];
	if (p.waiting > 0) return ["wait", t("{n} view(s) waiting", { n: p.waiting })];
	return ["ok", t("in sync")];
}

function graph(st) {
	const me = { peer: st.node, display_name: st.display_name, tier: st.tier, me: true };
	const nodes = [me, ...st.peers];
	const rows = {};
	for (const n of nodes) {
		const tier = TIERS.includes(n.tier) ? n.tier : "department";
		(rows[tier] = rows[tier] || []).push(n);
	}
	const order = TIERS.concat(["department"]).filter((tier) => rows[tier]);
	const W = 1000, rowH = 110, boxW = 190, boxH = 46;
	const H = order.length * rowH + 20;
	const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("the federation as this node sees it") });
	const defs = svg("defs");
	for (const [id, color] of [["ok", "#2f855a"], ["wait", "#b7791f"], ["bad", "#c53030"]])
		defs.append(svg("marker", { id: "arrow-" + id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
			svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color })));
	s.append(defs);
	const pos = new Map();
	order.forEach((tier, ri) => {
		const list = rows[tier];
		list.forEach((n, i) => {
			const x = (W / (list.length + 1)) * (i + 1), y = 20 + ri * rowH + boxH / 2;
			pos.set(n.peer, { x, y });
		});
		s.append(svg("text", { x: 8, y: 20 + ri * rowH + boxH / 2 + 4, fill: "#5a6475", "font-size": 12 }, w(tier)));
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
		const out = p.out && p.out.time ? t("sent {time}", { time: when(p.out.time) }) : null, inn = p.in && p.in.time ? t("received {time}", { time: when(p.in.time) }) : null;
		s.append(svg("text", { x: mx + dx, y: my - 2, "font-size": 11, fill: "#1a202c", "text-anchor": anchor }, w(dir) + (out ? " · " + out : "")));
		if (inn) s.append(svg("text", { x: mx + dx, y: my + 12, "font-size": 11, fill: "#1a202c", "text-anchor": anchor }, inn));
	}
	for (const n of nodes) {
		const { x, y } = pos.get(n.peer);
		const state = n.me ? null : peerState(n)[0];
		const g = svg("g", {});
		g.append(svg("rect", { x: x - boxW / 2, y: y - boxH / 2, width: boxW, height: boxH, rx: 6,
			fill: n.me ? "#2b6cb0" : "#fff", stroke: n.me ? "#2b6cb0" : colors[state], "stroke-width": 2 }));
		g.append(svg("text", { x, y: y - 3, "text-anchor": "middle", "font-size": 13, "font-weight": 600, fill: n.me ? "#fff" : "#1a202c" }, n.display_name ? n.display_name + " · " + n.peer : n.peer));
		g.append(svg("text", { x, y: y + 13, "text-anchor": "middle", "font-size": 11, fill: n.me ? "#e2ecf7" : "#5a6475" },
			n.me ? t("this node") + " · " + w(n.tier) : w(n.tier) + (n.policy ? " · " + n.policy : "")));
		s.append(g);
	}
	return el("div", { class: "graph" }, s);
}

async function federation() {
	const st = await api("status");
	const problems = st.health.problems || [];
	const summary = el("div", { class: "summary" + (st.health.ok ? "" : " bad") },
		st.health.ok ? t("Healthy: every peer in sync as far as this node knows.") : t("{n} thing(s) need attention:", { n: problems.length }) + " ",
		problems.length ? el("ul", {}, problems.map((p) => el("li", {}, p))) : null);
	const peerRows = st.peers.map((p) => {
		const [state, text] = peerState(p);
		return [el("a", { href: "#/peer/" + enc(p.peer) }, p.display_name ? p.display_name + " · " + p.peer : p.peer), w(p.tier), w(p.direction), p.policy || "—", p.url || "—",
			when(p.out && p.out.time), when(p.in && p.in.time), el("span", { class: "badge " + state }, text)];
	});
	const views = [];
	for (const p of st.peers) {
		for (const v of p.views || []) views.push([p.peer, t("sent to it"), v.name, w(v.state), short(v.commit), short(v.sent)]);
		for (const v of p.received || []) views.push([p.peer, t("received from it"), v.name, w(v.state), short(v.commit), "—"]);
	}
	show(el("h1", {}, t("Federation")), summary, graph(st),
		el("h2", {}, t("Peers")),
		table([t("peer"), t("tier"), t("direction"), t("policy"), t("url"), t("last sent"), t("last received"), t("state")], peerRows, (r) => r),
		el("h2", {}, t("Views: what each peer holds")),
		table([t("peer"), "", t("view"), t("state"), t("commit here"), t("commit it holds")], views, (r) => r));
}

async function peer(name) {
	const p = await api("peer?peer=" + enc(name));
	const seq = (x) => x && x.sequence ? t("parcel {n}, {time}", { n: x.sequence, time: when(x.time) }) : t("nothing yet");
	const net = p.network || {};
	const attrs = p.attributes ? Object.entries(p.attributes).map(([k, v]) => k + " = " + v).join("; ") : null;
	const rows = [
		[t("name"), (p.display_name ? p.display_name + " · " : "") + p.peer],
		[t("tier"), w(p.tier)],
		[t("direction"), w(p.direction) + (p.direction_from === "default" ? " (" + t("by default, from the tiers") + ")" : "")],
		[t("policy of what it is sent"), p.policy || t("none: it is sent nothing")],
		[t("address"), p.url || t("none: parcels only")],
		[t("its attributes"), attrs || "—"],
		[t("key"), el("span", { class: "mono" }, p.fingerprint)],
		[t("last sent"), seq(p.sent)],
		[t("last received"), seq(p.received)],
		[t("last exchange over the network"), net.last_success ? when(net.last_success) : "—"],
		[t("last failure"), net.last_error_time ? [when(net.last_error_time), ": ", data(net.last_error)] : "—"]];
	show(el("h1", {}, t("Peer {name}", { name: name })), table([t("what"), t("value")], rows, (r) => [r[0], r[1]]));
}

// ---- datasets ----

async function datasets() {
	const ds = await api("datasets");
	show(el("h1", {}, t("Datasets")),
		table([t("name"), t("label"), t("from"), t("owner"), t("records"), t("last change"), t("policy"), t("purpose"), t("onward"), t("retention")], ds, (d) => [
			el("a", { href: "#/dataset/" + enc(d.name) }, d.name), data(d.label), d.from === "own" ? t("own") : d.from, d.owner || "—", num(d.records), when(d.last_change),
			d.policy ? d.policy + (d.policy_version ? " v" + d.policy_version : "") : "—", data(d.purpose), d.onward || "—", d.retention || "—"]));
}

async function dataset(name, tab, arg) {
	const own = !name.includes("/");
	const tabs = el("div", { class: "tabs" },
		el("a", { href: "#/dataset/" + enc(name), class: tab === "log" ? "active" : null }, t("History")),
		el("a", { href: "#/dataset/" + enc(name) + "/records", class: tab === "records" ? "active" : null }, t("Records")));
	const head = [el("h1", {}, name), el("p", { class: "muted" }, own ? t("This node's own dataset: its records are raw personal data, shown only after a login.") :
		t("Received data, as this node holds it (already redacted by the sender's policy).")), tabs];
	if (tab === "records") return records(name, head, arg);
	const log = await api("log?dataset=" + enc(name));
	show(...head, table([t("commit"), t("time"), t("signature"), t("signer"), t("change")], log, (c) => [
		el("span", { class: "mono" }, short(c.commit)), when(c.time),
		el("span", { class: c.signature === "good" ? "ok" : "bad" }, w(c.signature)), c.signer || "—", data(c.subject)]));
}

async function records(name, head, key) {
	const form = el("form", { class: "row", onsubmit: (ev) => { ev.preventDefault(); location.hash = "#/dataset/" + enc(name) + "/records/" + enc(form.elements.key.value.trim()); } },
		el("label", {}, t("Search by key"), el("input", { name: "key", value: key || "", placeholder: t("the record's key"), size: 40 })),
		el("button", { type: "submit" }, t("Find")));
	if (key) {
		let hist;
		try { hist = await api("history?dataset=" + enc(name) + "&key=" + enc(key)); } catch (e) { if (e.stale) throw e; return show(...head, form, errorBox(e)); }
		// the fields in the dataset's own order (as its records page lists them: the key first), not alphabetical
		let order = [];
		try { const first = await api("records?dataset=" + enc(name)); order = first.length ? Object.keys(first[0]) : []; } catch (e) { if (e.stale) throw e; }
		const at = (f) => { const i = order.indexOf(f); return i < 0 ? order.length : i; };
		const fields = Array.from(new Set(hist.flatMap((h) => h.record ? Object.keys(h.record) : []))).sort((a, b) => at(a) - at(b));
		const own = !name.includes("/");
		return show(...head, form,
			el("p", {}, el("a", { href: "#/trace/" + enc(name) + "/" + enc(key) }, t("Trace this record through the tiers")),
				own ? [" · ", el("a", { href: "#/disclosures/" + enc(name) + "/" + enc(key) }, t("Who received it"))] : "",
				own && canAct() ? [" · ", actionButton(t("Order its erasure"), "erase", { dataset: name, key: key }, true, "#/dataset/" + enc(name) + "/records")] : ""),
			el("div", { class: "wide" }, table([t("time"), t("change"), t("node"), t("signature")].concat(fields.map((f) => label(name, f))), hist, (h) => [when(h.time), w(h.change), h.node || "—",
				el("span", { class: h.signature === "good" ? "ok" : "bad" }, w(h.signature))].concat(fields.map((f) => data(h.record && h.record[f] !== undefined ? h.record[f] : null))))));
	}
	let rows;
	const offset = recordsOffset[name] || 0;
	try { rows = await api("records?dataset=" + enc(name) + "&offset=" + offset); } catch (e) { if (e.stale) throw e; return show(...head, form, errorBox(e)); }
	const cols = rows.length ? Object.keys(rows[0]).filter((c) => c !== "_source") : [];
	const page = (to) => () => { recordsOffset[name] = Math.max(0, to); route(); };
	const pager = el("p", { class: "row pager" },
		el("button", { type: "button", disabled: offset === 0 ? "disabled" : null, onclick: page(offset - 50) }, t("Previous")),
		" ", t("Records {from} to {to}.", { from: rows.length ? offset + 1 : offset, to: offset + rows.length }), " ",
		el("button", { type: "button", disabled: rows.length < 50 ? "disabled" : null, onclick: page(offset + 50) }, t("Next")));
	show(...head, form, el("p", { class: "muted" }, t("Fifty records a page. Search by key for one record's history.")), pager,
		el("div", { class: "wide" }, table(cols.map((c) => label(name, c)), rows, (r) => cols.map((c) => data(r[c])))), pager.cloneNode(true));
	for (const b of document.querySelectorAll(".pager button")) b.onclick = b.textContent === t("Previous") ? page(offset - 50) : page(offset + 50);
}

async function trace(name, key) {
	const tr = await api("trace?dataset=" + enc(name) + "&key=" + enc(key));
	const hops = tr.hops || [];
	const W = 900, hopH = 92, H = hops.length * hopH + 20;
	const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("the record's way through the tiers") });
	hops.forEach((h, i) => {
		const y = 10 + i * hopH;
		if (i > 0) s.append(svg("line", { x1: 150, y1: y - hopH + 56, x2: 150, y2: y, stroke: "#4a5568", "stroke-width": 2 }));
		s.append(svg("rect", { x: 20, y, width: 260, height: 56, rx: 6, fill: "#fff", stroke: h.signature === "good" ? "#2f855a" : "#c53030", "stroke-width": 2 }));
		s.append(svg("text", { x: 150, y: y + 22, "text-anchor": "middle", "font-size": 13, "font-weight": 600 }, (h.display_name ? h.display_name + " · " : "") + h.node + " (" + w(h.tier || "?") + ")"));
		s.append(svg("text", { x: 150, y: y + 40, "text-anchor": "middle", "font-size": 11, fill: "#5a6475" }, w(h.role)));
		s.append(svg("text", { x: 300, y: y + 22, "font-size": 12 }, t("commit {commit} · signature {signature}", { commit: short(h.commit), signature: w(h.signature) }) + (h.signer ? " · " + h.signer : "")));
		s.append(svg("text", { x: 300, y: y + 40, "font-size": 12, fill: "#5a6475" },
			(h.policy ? t("policy") + " " + h.policy.name + " v" + h.policy.version + " · " : "") + when(h.committed) + (h.purpose ? " · " + t("purpose") + ":" : "")));
		if (h.purpose) s.append(svg("text", { x: 300, y: y + 56, "font-size": 12, fill: "#5a6475", class: "data" }, h.purpose));
	});
	const more = [];
	if (tr.next)
		more.push(el("p", { class: "notice" }, t("Next hop: commit {commit} at {node}, not held here. Continue there with the key as it holds it:", { commit: short(tr.next.commit), node: tr.next.node }),
			" ", el("code", {}, "strata -C <" + tr.next.node + "> trace " + tr.dataset + " " + (tr.next.key || []).join(" "))));
	if (tr.origin)
		more.push(el("p", { class: "muted" }, t("Origin: {node}, commit {commit}", { node: tr.origin.node, commit: short(tr.origin.commit) })));
	show(el("h1", {}, t("Trace of {key} in {dataset}", { key: key, dataset: name })), el("div", { class: "graph" }, s), ...more,
		el("h2", {}, t("Each hop")), table([t("node"), t("role"), t("commit"), t("signature"), t("when"), t("record")], hops, (h) => [
			h.node, w(h.role), el("span", { class: "mono" }, short(h.commit)), w(h.signature), when(h.committed),
			el("span", { class: "mono" }, h.record ? JSON.stringify(h.record) : "—")]));
}

// ---- policies ----

async function policies() {
	const ps = await api("policies");
	const peers = await api("peers");
	let held = [];
	try { held = (await api("datasets")).map((d) => d.name); } catch (e) { if (e.stale) throw e; }
	// a policy names a dataset by its own name; this node holds it as NAME (own) or SENDER/.../NAME (received)
	const holding = (d) => held.filter((h) => h === d || h.endsWith("/" + d));
	const blocks = [el("h1", {}, t("Policies"))];
	if (!ps.length) blocks.push(el("p", { class: "muted" }, t("No policy committed on this node.")));
	for (const p of ps) {
		const versions = p.versions || [];
		const recips = p.peers.map((x) => t("peer") + " " + x).concat(p.tiers.map((x) => t("tier") + " " + w(x))).join(", ");
		const from = el("select", { name: "from" }, versions.map((v) => el("option", { value: v.version }, t("version {n}", { n: v.version }))));
		const to = el("select", { name: "to" }, versions.map((v) => el("option", { value: v.version, selected: v.version === p.version ? "selected" : null }, t("version {n}", { n: v.version }))));
		const out = el("div", {});
		const form = el("form", { class: "row", onsubmit: async (ev) => {
			ev.preventDefault();
			try {
				const d = await api("policy-diff?policy=" + enc(p.policy) + "&from=" + enc(from.value) + "&to=" + enc(to.value));
				out.replaceChildren(d.changes.length ? el("ul", {}, d.changes.map((c) => el("li", { class: "change" + (c.more_visible ? " more" : c.less_visible ? " less" : "") },
					(c.dataset ? c.dataset + (c.field ? "." + c.field : "") + ": " : "") + w(c.what) + (c.old || c.new ? " (" + (c.old || "—") + " → " + (c.new || "—") + ")" : "") + (c.why ? ". " + c.why : ""))))
					: el("p", { class: "muted" }, t("No difference.")));
			} catch (e) { out.replaceChildren(errorBox(e)); }
		} }, el("label", {}, t("From"), from), el("label", {}, t("To"), to), el("button", { type: "submit" }, t("Compare")));
		const risk = el("div", {}, el("button", { type: "button", onclick: async () => {
			try {
				const r = await api("risk?policy=" + enc(p.policy));
				risk.replaceChildren(table([t("recipient"), t("dataset"), t("records"), t("classes"), t("min k"), t("unique"), t("in classes below 5"), t("max risk"), t("average risk"), t("verdict")], r.risk || [], (x) => [
					x.peer, x.dataset, num(x.records), num(x.risk && x.risk.classes), num(x.risk && x.risk.min_k), num(x.risk && x.risk.unique),
					num(x.risk && x.risk.below_5), num(x.risk && x.risk.max_risk !== undefined ? x.risk.max_risk.toFixed(3) : null),
					num(x.risk && x.risk.avg_risk !== undefined ? x.risk.avg_risk.toFixed(3) : null), verdict(x.risk)]),
					el("p", { class: "muted" }, t("Verdict: high when the largest risk is 0.2 or more (a class of fewer than 5 records), medium from 0.05 (fewer than 20), else low.")));
			} catch (e) { risk.replaceChildren(errorBox(e)); }
		} }, t("Re-identification risk per recipient")));
		const latest = versions.find((v) => v.version === p.version) || versions[versions.length - 1];
		// what each recipient gets: the policy applied to the first records, with the recipient's own tokens
		const recipients = peers.filter((x) => x.policy === p.policy);
		const dsSel = el("select", { name: "dataset" }, p.datasets.flatMap((d) => holding(d)).map((d) => el("option", { value: d }, d)));
		const peerSel = el("select", { name: "peer" }, recipients.map((x) => el("option", { value: x.peer }, x.peer)));
		const verSel = el("select", { name: "version" }, versions.map((v) => el("option", { value: v.version, selected: v.version === p.version ? "selected" : null }, t("version {n}", { n: v.version }))));
		const prevOut = el("div", {});
		const prevForm = el("form", { class: "row", onsubmit: async (ev) => {
			ev.preventDefault();
			try {
				const q = "preview?policy=" + enc(p.policy) + "&version=" + enc(verSel.value) + "&dataset=" + enc(dsSel.value) + (peerSel.value ? "&peer=" + enc(peerSel.value) : "");
				const r = await api(q);
				const fields = Array.from(new Set(r.records.flatMap((x) => Object.keys(x.before))));
				prevOut.replaceChildren(el("p", { class: "muted" }, t("The first {n} records of {dataset} as {recipient} would get them under version {version}.", { n: r.records.length, dataset: r.dataset, recipient: peerSel.value || t("the recipient"), version: r.version }) +
					(r.filtered ? " " + t("({n} left out by the policy's filters)", { n: r.filtered }) : "")),
					table(fields.map((f) => label(r.dataset, f)), r.records, (x) => fields.map((f) => x.after[f] === null || x.after[f] === undefined ? el("td", { class: "muted" }, t("(dropped)")) : data(x.after[f]))));
			} catch (e) { prevOut.replaceChildren(errorBox(e)); }
		} }, el("label", {}, t("Version"), verSel), el("label", {}, t("Dataset"), dsSel), el("label", {}, t("Recipient"), peerSel), el("button", { type: "submit" }, t("Preview what it receives")));
		blocks.push(el("h2", {}, p.policy + " · " + t("version {n}", { n: p.version })),
			el("p", {}, t("For {recipients}; shares {datasets}.", { recipients: recips || "—", datasets: p.datasets.join(", ") }) + " " + t("Purpose:") + " ", data(latest ? latest.purpose : null)),
			table([t("version"), t("committed"), t("blob"), t("purpose")], versions, (v) => [t("version {n}", { n: v.version }), when(v.committed), el("span", { class: "mono" }, short(v.blob)), data(v.purpose)]),
			form, out, el("h2", {}, t("What each recipient receives")), prevForm, prevOut, risk, latest ? el("details", {}, el("summary", {}, t("The text of version {n}", { n: latest.version })), el("pre", { class: "data" }, latest.text)) : null);
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
		el("label", {}, t("Peer"), el("input", { name: "peer", value: params.get("peer") || "", size: 18 })),
		el("label", {}, t("Event"), el("input", { name: "event", value: params.get("event") || "", size: 16, placeholder: t("e.g. parcel-import") })),
		el("label", {}, t("Since"), el("input", { name: "since", value: params.get("since") || "", size: 20, placeholder: "2026-01-01" })),
		el("label", {}, t("Until"), el("input", { name: "until", value: params.get("until") || "", size: 20 })),
		el("button", { type: "submit" }, t("Filter")));
	const query = new URLSearchParams();
	for (const k of ["peer", "event", "since", "until"]) if (params.get(k)) query.set(k, params.get(k));
	const verifyOut = el("div", {});
	const verify = el("button", { type: "button", onclick: async () => {
		verifyOut.replaceChildren(el("p", { class: "muted" }, t("Verifying every commit…")));
		try {
			const v = await api("verify");
			verifyOut.replaceChildren(el("div", { class: "summary" + (v.ok ? "" : " bad") },
				(v.ok ? t("verify --all: every signature good.") : t("verify --all found problems.")) + " " +
				t("{commits} commits: {good} good, {bad} bad, {unsigned} unsigned, {untrusted} untrusted.", v) +
				(v.audit ? " " + t("Audit log: {events} events, {problems} problems.", { events: v.audit.events, problems: v.audit.problems.length }) : "")),
				v.failed && v.failed.length ? table([t("commit"), t("status"), t("signer")], v.failed, (f) => [short(f.commit), w(f.status), f.signer || "—"]) : "");
		} catch (e) { verifyOut.replaceChildren(errorBox(e)); }
	} }, t("Verify every signature (verify --all)"));
	let events = [], erasures = [], problem = null;
	try { events = await api("audit" + (query.toString() ? "?" + query.toString() : "")); } catch (e) { if (e.stale) throw e; problem = e; }
	try { erasures = await api("erasures"); } catch (e) { if (e.stale) throw e; erasures = []; }
	let refused = [];
	try { refused = await api("refused"); } catch (e) { if (e.stale) throw e; refused = []; }
	show(el("h1", {}, t("Audit")), form, problem ? errorBox(problem) : "",
		el("p", { class: "muted" }, t("{n} signed events, newest first.", { n: events.length })),
		table([t("time"), t("event"), t("what"), t("by"), t("commit")], events.slice(0, 500), (e) => [when(e.time), e.event, data(e.subject),
			e.officer ? el("span", { class: e.officer_signature === "good" ? "ok" : "bad" }, e.officer) : el("span", { class: "muted" }, t("the node")),
			el("a", { class: "mono", href: "#/event/" + enc(e.commit) }, short(e.commit))]),
		el("h2", {}, t("Refused input")), el("p", { class: "muted" }, t("Parcels, receipts and requests this node refused (local, unsigned: a refusal changes nothing).")),
		table([t("time"), t("event"), t("from"), t("what"), t("why")], refused.slice(0, 200), (r) => [when(r.time), r.event || "—", r.sender || "—", data(r.what), data(r.reason)]),
		el("h2", {}, t("Signatures")), verify, verifyOut,
		el("h2", {}, t("Erasures passed on")),
		table([t("erasure"), t("node"), t("view"), t("state"), t("confirmed"), t("via")], erasures, (x) => [el("span", { class: "mono" }, x.erasure), x.peer, x.view || "—",
			el("span", { class: x.state === "confirmed" ? "ok" : "wait" }, w(x.state)), when(x.peer_last_confirmed), x.via || "—"]));
}

// ---- sharing as a process: the catalogue, requests for data, corrections ----

async function sharing() {
	let catalog = [], requests = [], corrections = [];
	try { catalog = await api("catalog"); } catch (e) { if (e.stale) throw e; }
	try { requests = await api("requests"); } catch (e) { if (e.stale) throw e; }
	try { corrections = await api("corrections"); } catch (e) { if (e.stale) throw e; }
	const state = (s) => el("span", { class: s === "overdue" || s === "refused" || s === "rejected" ? "bad" : s === "approved" || s === "done" || s === "accepted" ? "ok" : "wait" }, w(s));
	const open = requests.filter((r) => r.status === "open" || r.status === "overdue" || r.status === "leg-open").length;
	const overdue = requests.filter((r) => r.status === "overdue").length;
	show(el("h1", {}, t("Sharing")),
		el("div", { class: "summary" + (overdue ? " bad" : "") }, t("{n} requests for data here: {open} waiting for someone, {overdue} overdue.", { n: requests.length, open: open, overdue: overdue })),
		el("h2", {}, t("Requests for data")),
		el("p", { class: "muted" }, t("Filed here, received as the data's owner, or passed on as a relay. The owner answers with 'strata answer'; each relay approves its own leg.")),
		table([t("request"), t("role"), t("status"), t("from"), t("owner / dataset"), t("fields"), t("deadline"), t("waiting on"), t("decision"), t("legs"), ""], requests, (r) => [
			el("span", { class: "mono" }, r.id), w(r.role), state(r.status), r.from, r.owner + "/" + r.dataset, r.fields, when(r.deadline),
			r.waiting_on || "—", [w(r.decision), r.reason ? ": " : "", r.reason ? data(r.reason) : ""], r.legs || "—",
			canAct() && r.role === "owner" && (r.status === "open" || r.status === "overdue") ?
				el("span", {}, actionButton(t("Approve"), "answer", { id: r.id }, false), " ", actionButton(t("Refuse"), "answer-refuse", { id: r.id }, true)) : ""]),
		el("h2", {}, t("Corrections")),
		table([t("correction"), t("role"), t("status"), t("filer"), t("dataset"), t("field"), t("proposed"), t("now"), t("note"), ""], corrections, (c) => [
			el("span", { class: "mono" }, c.id), w(c.role), state(c.status), c.filer, c.dataset, label(c.dataset, c.field), data(c.value), data(c.current), data(c.note),
			canAct() && c.role === "owner" && c.status === "open" ?
				el("span", {}, actionButton(t("Accept"), "correction-accept", { id: c.id }, false), " ", actionButton(t("Reject"), "correction-reject", { id: c.id }, true)) : ""]),
		el("h2", {}, t("Catalogue")),
		el("p", { class: "muted" }, t("What this node and the nodes around it offer, as their catalogues came with the exchanges: no values.")),
		table([t("owner"), t("dataset"), t("title"), t("attribute"), t("records"), t("fields"), t("path"), t("as of")], catalog, (d) => [
			d.owner, d.dataset, data(d.title), w(d.attribute), num(d.records), d.fields, d.path, when(d.as_of)]));
}

// ---- the story of one action: the event, who made it (their signature checked), and the proposal it completes ----

async function eventStory(commit) {
	const events = await api("audit");
	const e = events.find((x) => x.commit === commit);
	if (!e) return show(el("div", { class: "error" }, t("No such event in this node's audit log.")));
	const tr = e.trailers || {};
	const one = (k) => (tr[k] || [])[0];
	const story = [e];
	// an approval completes a proposal: its change-proposed event, by another officer
	const approves = one("Strata-Approves") || one("Strata-Refuses");
	const proposal = approves ? events.find((x) => x.event === "change-proposed" && (x.trailers["Strata-Pending"] || [])[0] === approves) : null;
	if (proposal) story.push(proposal);
	// a proposal: what became of it
	const pend = one("Strata-Pending");
	const outcome = pend ? events.find((x) => (x.trailers["Strata-Approves"] || x.trailers["Strata-Refuses"] || [])[0] === pend) : null;
	if (outcome) story.unshift(outcome);
	show(el("h1", {}, t("One action: {event}", { event: e.event })),
		el("p", {}, data(e.subject), " · ", when(e.time), " · ", el("span", { class: "mono" }, e.commit)),
		el("p", {}, e.officer ? [t("By {officer} ({role}); their signature:", { officer: e.officer, role: w(one("Strata-Officer-Role")) }), " ",
			el("span", { class: e.officer_signature === "good" ? "ok" : "bad" }, w(e.officer_signature))] : t("By the node itself (no officer named).")),
		el("h2", {}, t("Its story")),
		table([t("time"), t("event"), t("what"), t("by"), t("signature")], story, (x) => [when(x.time), x.event, data(x.subject), x.officer || t("the node"),
			x.officer ? el("span", { class: x.officer_signature === "good" ? "ok" : "bad" }, w(x.officer_signature)) : "—"]),
		el("h2", {}, t("Every trailer")),
		table([t("trailer"), t("value")], Object.entries(tr).flatMap(([k, vs]) => vs.map((v) => [k, v])), (r) => [el("span", { class: "mono" }, r[0]),
			el("span", { class: "mono data" }, r[0] === "Strata-Officer-Signature" ? r[1].slice(0, 40) + "…" : r[1])]));
}

// ---- four eyes: what waits for a second officer ----

// a waiting policy version beside the one committed: what changes, what it does to this node's data, the risk
function review(p) {
	const box = el("div", { class: "review" });
	const open = el("button", { type: "button", onclick: async () => {
		box.replaceChildren(el("p", { class: "muted" }, t("Loading…")));
		try {
			const [d, im, rk] = await Promise.all([api("pending-diff?id=" + enc(p.id)), api("pending-impact?id=" + enc(p.id)), api("pending-risk?id=" + enc(p.id))]);
			box.replaceChildren(el("div", { class: "side" },
				el("div", {}, el("h3", {}, t("What changes")), d.changes.length ? el("ul", {}, d.changes.map((c) => el("li", { class: "change" + (c.more_visible ? " more" : c.less_visible ? " less" : "") },
					(c.dataset ? c.dataset + (c.field ? "." + c.field : "") + ": " : "") + w(c.what) + " (" + (c.old || "—") + " → " + (c.new || "—") + ")" + (c.why ? ". " + c.why : "")))) :
					el("p", { class: "muted" }, t("No difference."))),
				el("div", {}, el("h3", {}, t("On this node's data")), table([t("recipient"), t("dataset"), t("records gained"), t("lost"), t("fields: + shown, ~ changed")], im.impact || [], (x) => [
					x.peer, x.dataset, num(x.gained), num(x.lost), (x.fields || []).filter((f) => f.visible > 0 || f.changed > 0).map((f) => label(x.dataset, f.field) + (f.visible ? " +" + f.visible : "") + (f.changed ? " ~" + f.changed : "")).join(", ") || "—"])),
				el("div", {}, el("h3", {}, t("Re-identification risk")), table([t("recipient"), t("dataset"), t("min k"), t("verdict")], rk.risk || [], (x) => [
					x.peer, x.dataset, num(x.risk && x.risk.min_k), verdict(x.risk)]))));
		} catch (e) { if (!e.stale) box.replaceChildren(errorBox(e)); }
	} }, t("Review"));
	box.append(open);
	return box;
}

async function pending() {
	const rows = await api("pending");
	show(el("h1", {}, t("Approvals")),
		el("p", { class: "muted" }, t("Changes a rule gives to two officers wait here, proposed by the first: a policy version that makes more visible, an erasure. A second officer (not the one who proposed it) makes it exactly as proposed, or refuses it with a reason.")),
		table([t("proposal"), t("change"), t("proposed by"), t("when"), ""], rows, (p) => [
			el("span", { class: "mono" }, p.id), data(p.summary), p.proposer, when(p.created),
			canAct() && p.proposer !== session.officer ? el("span", {}, actionButton(t("Approve"), "approve", { id: p.id }, false), " ",
				actionButton(t("Refuse"), "refuse", { id: p.id }, true)) : el("span", { class: "muted" }, canAct() ? t("yours: another officer decides") : "—")]),
		...rows.filter((p) => p.kind === "policy-commit").map((p) => el("section", {}, el("h2", {}, t("Review of {id}", { id: p.id })), review(p))));
}

// ---- one resident: who received what, when, why ----

async function disclosures(name, key) {
	const d = await api("disclosures?dataset=" + enc(name) + "&key=" + enc(key));
	const list = d.disclosures || [];
	show(el("h1", {}, t("Disclosures of one record")),
		el("p", {}, name, " · ", el("span", { class: "mono" }, key)),
		el("p", { class: "muted" }, t("Every recipient this record was sent to: when, how, under which policy and purpose, and the fields as they received them.")),
		table([t("event"), t("recipient"), t("sent"), t("via"), t("policy"), t("purpose"), t("fields as sent")], list, (x) => [
			w(x.event), x.recipient || "—", when(x.sent), x.via || "—", x.policy ? x.policy + (x.policy_version ? " v" + x.policy_version : "") : "—",
			data(x.purpose), data(x.gone ? t("(no longer held here)") : x.fields ? Object.keys(x.fields).map((f) => label(name, f) + ": " + x.fields[f]).join("; ") : null)]));
}

// ---- login ----

function login() {
	const msg = el("div", {});
	const officers = session && session.officers;
	const form = el("form", { class: "row", onsubmit: async (ev) => {
		ev.preventDefault();
		const body = officers ? new URLSearchParams({ officer: form.elements.officer.value.trim(), passphrase: form.elements.passphrase.value }).toString() :
			"token=" + enc(form.elements.token.value.trim());
		if (officers) form.elements.passphrase.value = "";
		const r = await fetch("/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: body });
		if (r.status === 204) { await loadSession(); location.hash = "#/federation"; return; }
		let b = null; try { b = await r.json(); } catch (e) { b = null; }
		msg.replaceChildren(el("div", { class: "error" }, b && b.error ? b.error : t("login failed")));
	} }, officers ? [el("label", {}, t("Officer"), el("input", { name: "officer", size: 16, autocomplete: "username" })),
		el("label", {}, t("Passphrase of your key"), el("input", { name: "passphrase", type: "password", size: 24, autocomplete: "current-password" }))] :
		el("label", {}, t("Login token (printed when the console first started)"), el("input", { name: "token", type: "password", size: 52, autocomplete: "off" })),
		el("button", { type: "submit" }, t("Log in")));
	show(el("h1", {}, t("Log in")), el("p", {}, officers ? t("This node has officers: each logs in with their name and their key's passphrase, and what they change is signed with their key.") :
		t("The records of this node's own datasets are shown only after a login.")), form, msg);
}

async function loadSession() {
	session = await api("session");
	// first (the login waits on what follows): the catalogue's field labels, for every table of records
	labels = {};
	try {
		const r = await fetch("/api/catalog", { credentials: "same-origin" });
		for (const d of r.ok ? await r.json() : [])
			if (d.labels) labels[d.dataset] = Object.assign(labels[d.dataset] || {}, d.labels);
	} catch (e) { labels = {}; }	/* no labels: the fields' names show */
	document.getElementById("node").textContent = (session.display_name ? session.display_name + " · " : "") + session.node + " · " + w(session.tier);
	document.title = "strata · " + session.node;
	const s = document.getElementById("session");
	const other = lang === "zh" ? "en" : "zh";
	s.replaceChildren(el("button", { type: "button", class: "lang", title: lang === "zh" ? "English" : "中文", onclick: () => {
		try { localStorage.setItem("strata.lang", other); } catch (e) { /* private mode: this page only */ }
		location.reload();
	} }, other === "zh" ? "中文" : "English"), " ",
		session.officer ? el("span", { class: "who" }, (session.officer_display ? session.officer_display + " · " : "") + session.officer + " (" + w(session.role) + ") ") : "",
		session.logged_in ? el("button", { type: "button", onclick: async () => {
		await fetch("/logout", { method: "POST", credentials: "same-origin" });
		await loadSession(); route();
	} }, t("Log out")) : el("a", { href: "#/login" }, t("Log in")));
}

async function route() {
	const gen = ++routeGen;
	const hash = location.hash.replace(/^#\/?/, "");
	const [pathPart, query] = hash.split("?");
	const parts = pathPart.split("/").map((p) => decodeURIComponent(p));
	const page = parts[0] || "federation";
	for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page || (page === "dataset" && a.dataset.page === "datasets") || (page === "trace" && a.dataset.page === "datasets") || (page === "event" && a.dataset.page === "audit") || (page === "peer" && a.dataset.page === "federation"));
	show(el("p", { class: "muted" }, t("Loading…")));
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
		else if (page === "pending") await pending();
		else if (page === "event") await eventStory(parts[1]);
		else if (page === "disclosures") await disclosures(parts.slice(1, -1).join("/"), parts[parts.length - 1]);
		else if (page === "login") login();
		else show(el("div", { class: "error" }, t("No such page.")));
	} catch (e) {
		if (e.stale || gen !== routeGen) return;
		show(errorBox(e));
	}
	if (gen === routeGen) document.body.dataset.loaded = page;
}

// the risk figures in plain words, with the thresholds the page states
function verdict(r) {
	if (!r || r.max_risk === undefined || r.max_risk === null) return el("td", { class: "muted" }, "—");
	const v = r.max_risk >= 0.2 ? ["bad", t("high")] : r.max_risk >= 0.05 ? ["wait", t("medium")] : ["ok", t("low")];
	return el("td", {}, el("span", { class: "badge " + v[0] }, v[1]));
}

// the page's own words (index.html holds the English, for a page without the script)
function translatePage() {
	const words = { federation: t("Federation"), datasets: t("Datasets"), policies: t("Policies"), sharing: t("Sharing"), pending: t("Approvals"), audit: t("Audit") };
	for (const a of document.querySelectorAll("nav a")) a.textContent = words[a.dataset.page] || a.textContent;
	const f = document.querySelector("footer");
	if (f) f.replaceChildren(t("An officer's changes here ask for their passphrase again and are signed with their key; nothing else changes the node. Times are in the node's time zone. Every page is also JSON under /api."));
}

// a page is drawn only once the language and the session are known: a
// hash changed before that (a quick click, a link opened as the page loads)
// is drawn by the first route() below, which reads the hash then
let started = false;
window.addEventListener("hashchange", () => { if (started) route(); });
window.addEventListener("DOMContentLoaded", async () => {
	try { await loadLang(); } catch (e) { dict = {}; }
	translatePage();
	try { await loadSession(); } catch (e) { show(errorBox(e)); return; }
	started = true;
	route();
});
