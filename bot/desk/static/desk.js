// Live updates by server-sent events; everything else is plain HTML forms.
(function () {
  "use strict";
  const csrf = document.body.dataset.csrf;
  const labels = { customer: "客户", agent: "工程师", system: "系统" };
  const AVAILABILITY_POLL_MS = 15000;

  const zone = document.body.dataset.tz || undefined;
  const me = document.body.dataset.staff;
  // "12-07 22:27" in the desk's time zone, as the server writes the page's own lines.
  function stamp(iso) {
    if (!iso) return "";
    const parts = new Intl.DateTimeFormat("zh-CN", { timeZone: zone, month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso));
    const part = (type) => (parts.find((p) => p.type === type) || {}).value || "";
    return `${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
  }

  function cell(text, className) {
    const td = document.createElement("td"); td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  const title = document.title;

  function caseRows(cases) {
    if (!cases.length) {
      const tr = document.createElement("tr"); tr.className = "empty";
      const td = cell("暂无"); td.colSpan = 6; tr.append(td); return [tr];
    }
    return cases.map((c) => {
      const tr = document.createElement("tr");
      tr.className = [c.severity === 1 ? "urgent" : "", c.overdue ? "overdue" : ""].join(" ").trim();
      tr.append(cell(c.case_id, "nowrap"), cell(c.severity, "severity"), cell(c.product),
                cell(c.company), cell(c.due, "nowrap"));
      const td = document.createElement("td"); const a = document.createElement("a");
      a.href = `/cases/${c.case_id}`; a.textContent = "打开"; td.append(a); tr.append(td);
      return tr;
    });
  }

  // Whole minutes from an ISO time to now, or ``fallback`` when there is no such time.
  function minutesSince(iso, fallback) {
    const since = Date.parse(iso);
    return Number.isNaN(since) ? fallback : Math.max(0, Math.floor((Date.now() - since) / 60000));
  }

  const inbox = document.getElementById("inbox");
  if (inbox) {
    const source = new EventSource(inbox.dataset.stream);
    source.addEventListener("inbox", (event) => {
      const data = JSON.parse(event.data);
      // Someone waits, or a case nobody took: the tab's title says how many.
      const pending = (data.waiting || []).length + (data.new_cases || []).length;
      document.title = (pending ? `(${pending}) ` : "") + title;
      for (const status of Object.keys(data)) {
        const body = inbox.querySelector(`[data-rows="${status}"]`);
        const count = inbox.querySelector(`[data-count="${status}"]`);
        if (!body) continue;
        count.textContent = data[status].length;
        if (status === "new_cases") { body.replaceChildren(...caseRows(data[status])); continue; }
        body.replaceChildren(...data[status].map((r) => {
          const tr = document.createElement("tr");
          if (r.severity === 1) tr.className = "urgent";
          // By this browser's clock, as the ticks below count: a list update must not set
          // the minutes back to the server's count (the two clocks may differ).
          const waited = cell(minutesSince(r.since, r.waiting)); waited.dataset.since = r.since;
          tr.append(cell(r.conversation, "nowrap"), cell(r.channel_label, "nowrap"), waited,
                    cell(r.severity, "severity"), cell(r.product), cell(r.case_id, "nowrap"),
                    cell(status === "callback" ? r.phone : r.agent, "nowrap"),
                    cell(r.request, "message"), cell(r.last !== r.request ? r.last : "", "message"));
          const td = document.createElement("td"); const a = document.createElement("a");
          a.href = `/handoffs/${r.id}`; a.textContent = "打开"; td.append(a); tr.append(td);
          return tr;
        }));
        if (!data[status].length) {
          const tr = document.createElement("tr"); tr.className = "empty";
          const td = cell("暂无"); td.colSpan = 10; tr.append(td); body.append(tr);
        }
      }
    });
  }

  // The minutes waited go on between updates of the list.
  const WAIT_TICK_MS = 20000;
  if (inbox) {
    setInterval(() => {
      for (const td of inbox.querySelectorAll("[data-since]")) {
        td.textContent = minutesSince(td.dataset.since, td.textContent);
      }
    }, WAIT_TICK_MS);
  }

  const messages = document.getElementById("messages");
  if (messages) {
    messages.scrollTop = messages.scrollHeight;
    const source = new EventSource(messages.dataset.stream);
    source.addEventListener("message", (event) => {
      const m = JSON.parse(event.data);
      const li = document.createElement("li"); li.className = m.author; li.dataset.id = m.id;
      const who = document.createElement("span"); who.className = "who";
      who.textContent = ((m.author === "agent" && m.agent) ? m.agent : labels[m.author]) +
        " " + stamp(m.created_at);
      li.append(who, document.createTextNode(m.text));
      messages.append(li); messages.scrollTop = messages.scrollHeight;
    });
    source.addEventListener("status", (event) => {
      const data = JSON.parse(event.data);
      const s = data.status;
      const badge = document.getElementById("status");
      const names = { waiting: "排队中", active: "服务中", closed: "已结束", callback: "回电请求" };
      if (badge) badge.textContent = names[s] || s;
      // Taken or closed meanwhile (by someone else): no stale buttons to press.
      const take = document.getElementById("take");
      if (take && s !== "waiting") take.closest("form").remove();
      const agent = document.getElementById("agent");
      if (agent && data.agent) agent.textContent = data.agent;
      const note = document.getElementById("taken-by");
      const others = s === "active" && data.agent && data.agent !== me;
      if (note) { note.hidden = !others; note.textContent = others ? `已由 ${data.agent} 接手` : ""; }
      // A supervisor keeps the box and 由我接手 to take over from a colleague.
      const supervisor = document.body.dataset.supervisor === "1";
      if (s === "closed" || (others && !supervisor)) {
        for (const id of ["reply", "handoff-actions"]) {
          const node = document.getElementById(id);
          if (node) node.remove();
        }
      }
    });
  }

  // Taking handoffs or not, as the database says now (another window may have changed
  // it, or signed out): checked every 15 s.
  const toggle = document.getElementById("availability");
  if (toggle) {
    setInterval(async () => {
      const response = await fetch("/me", { headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      const on = (await response.json()).available;
      if (String(on ? 1 : 0) === toggle.dataset.available) return;
      toggle.dataset.available = on ? "1" : "0";
      toggle.querySelector("input[name=on]").value = on ? "0" : "1";
      const button = toggle.querySelector("button");
      button.className = on ? "ok" : "off";
      button.title = on ? "点击暂停接待" : "点击开始接待";
      button.textContent = on ? "● 接待中" : "○ 未接待";
    }, AVAILABILITY_POLL_MS);
  }

  const reply = document.getElementById("reply");
  if (reply) {
    const box = reply.querySelector("textarea");
    // Sent with fetch so the page (and its live stream) stays; the stream shows the message.
    reply.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = box.value.trim();
      const button = reply.querySelector("button");
      // One message per click: a double click sent it twice (a thirteenth blind tester).
      if (!text || reply.dataset.sending) return;
      reply.dataset.sending = "1"; button.disabled = true;
      try {
        const body = new URLSearchParams({ text: text, csrf: csrf });
        const response = await fetch(reply.action, { method: "POST", body: body,
          headers: { "X-Requested-With": "fetch" } });
        if (response.ok) {
          box.value = "";
        } else {
          const refused = await response.json().catch(() => ({}));
          alert(refused.error || "发送失败，请稍后再试");
        }
      } finally {
        delete reply.dataset.sending; button.disabled = false;
      }
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { reply.requestSubmit(); }
    });
  }
})();
