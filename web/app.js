/*
 * app.js — the workbench's pages. Every page calls the engine through
 * POST /api/<op>, the same operations as `jiebang serve`.
 *
 * Escaping by construction: all text from records goes into the page through
 * h() as text nodes (textContent); this file never assigns innerHTML, and
 * links are built only from "#/" routes and ids, so a record holding
 * <script>, "><img onerror=...> or javascript: is shown as the text it is.
 * The Content-Security-Policy forbids inline script besides.
 */
'use strict';

/* ------------------------------------------------------------ building */

// h('div', {class: 'x', on: {click: f}}, 'text', child, [children]): an
// element. Strings become text nodes; null/false children are skipped.
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k === 'class') e.className = v;
    else if (k === 'href') e.setAttribute('href', safeHref(v));
    else if (k === 'value') e.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected') e[k] = !!v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  add(e, kids);
  return e;
}
function add(e, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) add(e, k);
    else if (k instanceof Node) e.appendChild(k);
    else e.appendChild(document.createTextNode(String(k)));
  }
}
// Only our own routes and paths: anything else (javascript:, data:, other
// sites) becomes a harmless "#".
function safeHref(v) {
  const s = String(v);
  return /^(#\/|\/print\/|\/assets\/)/.test(s) ? s : '#';
}
function link(route, text) { return h('a', {href: '#/' + route.split('/').map(encodeURIComponent).join('/')}, text); }
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

// The engine marks matched terms with [ and ]: shown as <mark>, as text.
function marked(s) {
  const out = [];
  const re = /\[([^\[\]]*)\]/g;
  let last = 0, m;
  s = String(s || '');
  while ((m = re.exec(s))) {
    if (m.index > last) out.push(s.slice(last, m.index));
    out.push(h('mark', {}, m[1]));
    last = re.lastIndex;
  }
  out.push(s.slice(last));
  return out;
}
function unmark(s) { return String(s || '').replace(/[\[\]]/g, ''); }

// 2025-06-30 → 2025年6月30日
function cnDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || '');
  return m ? `${+m[1]}年${+m[2]}月${+m[3]}日` : (s || '—');
}
function today() { return new Date().toISOString().slice(0, 10); }

const STATUS = {open: '待对接', paired: '已对接', closed: '已关闭', all: '全部'};
const KIND = {expert: '专家', achievement: '成果', org: '机构', need: '需求'};
const ROLE = {admin: '管理员', staff: '工作人员', viewer: '只读'};
const AUDIT_OP = {import: '保存记录', 'user add': '添加用户', 'user disable': '停用用户', 'user passwd': '重设密码'};
const SEVERITY = {error: '错误', warning: '注意', info: '提示'};
const ERRCODE = {
  usage: '请求有误', parse: '格式错误', invalid: '数据不符合规则', not_found: '没有找到',
  db: '数据库错误', limit: '超出限制', busy: '数据库忙', stale: '索引需要重建（请管理员运行 jiebang reindex）',
  auth: '需要登录', forbidden: '没有权限', csrf: '安全令牌失效', internal: '内部错误', nomem: '内存不足',
};

// A score's components in words a person reads.
function reasons(c) {
  if (!c) return [];
  const out = [];
  if (c.text !== undefined) out.push(`文本相关度 ${(+c.text).toFixed(2)}`);
  if (c.chain >= 1) out.push('同一产业链'); else if (c.chain > 0) out.push('相近产业链');
  if (c.region >= 1) out.push('同县'); else if (c.region >= 0.6) out.push('同市'); else if (c.region > 0) out.push('同省');
  if (c.program >= 1) out.push('科技特派员/三区人才'); else if (c.program > 0) out.push('人才计划');
  if (c.capacity !== undefined) out.push(`可同时承担 ${c.capacity} 项`);
  return out;
}

/* ------------------------------------------------------------ server */

const state = {me: null, ops: {}, facets: null};

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function call(url, body) {
  const headers = {'Content-Type': 'application/json'};
  if (state.me) headers['X-CSRF-Token'] = state.me.csrf;
  let r;
  try {
    r = await fetch(url, {method: 'POST', headers, body: JSON.stringify(body || {}), credentials: 'same-origin'});
  } catch (e) {
    throw new ApiError(0, 'network', '无法连接服务器：请检查网络，或请管理员确认 jiebang web 正在运行');
  }
  let j = null;
  try { j = await r.json(); } catch (e) { /* not JSON: handled below */ }
  if (r.status === 401 && url !== '/auth/login') { state.me = null; showLogin('登录已过期，请重新登录'); }
  if (!j || !j.ok) {
    const e = (j && j.error) || {};
    throw new ApiError(r.status, e.code || 'internal', e.message || `服务器错误（${r.status}）`);
  }
  return j;
}
// One engine op, as `jiebang serve` runs it; a slow one shows progress.
async function api(op, params, busyText) {
  const t = busyText ? busy(busyText) : null;
  try { return (await call('/api/' + op, params)).result; } finally { if (t) t(); }
}
function errorText(e) {
  const head = ERRCODE[e.code] || '出错了';
  return `${head}：${e.message}`;
}
function msg(kind, text) { return h('div', {class: 'msg ' + kind, role: kind === 'error' ? 'alert' : 'status'}, text); }

// Progress for long work: a box with the seconds spent; returns its stop.
function busy(text) {
  const b = document.getElementById('busy');
  const t0 = Date.now();
  const tick = () => { b.textContent = `${text}（已用 ${Math.round((Date.now() - t0) / 1000)} 秒）`; };
  tick();
  b.hidden = false;
  const iv = setInterval(tick, 1000);
  return () => { clearInterval(iv); b.hidden = true; };
}

function canWrite() { return state.me && (state.me.role === 'staff' || state.me.role === 'admin'); }
function isAdmin() { return state.me && state.me.role === 'admin'; }

/* ------------------------------------------------------------ login */

function showLogin(note) {
  document.getElementById('nav').hidden = true;
  clear(document.getElementById('who'));
  const main = clear(document.getElementById('main'));
  const err = h('div', {});
  const name = h('input', {id: 'login-name', autocomplete: 'username', required: true});
  const pw = h('input', {id: 'login-password', type: 'password', autocomplete: 'current-password', required: true});
  const form = h('form', {class: 'card login', on: {submit: async (ev) => {
    ev.preventDefault();
    clear(err);
    try {
      state.me = await call('/auth/login', {name: name.value, password: pw.value});
      await start();
    } catch (e) {
      err.appendChild(msg('error', e.message));
      pw.value = '';
      pw.focus();
    }
  }}},
  h('h1', {}, '登录'),
  note ? msg('info', note) : null,
  h('label', {for: 'login-name'}, '用户名', name),
  h('label', {for: 'login-password'}, '密码', pw),
  err,
  h('button', {type: 'submit', id: 'login-submit'}, '登录'),
  h('p', {class: 'muted small'}, '没有账号？请管理员用 jiebang user add 添加。'));
  main.appendChild(form);
  name.focus();
}

async function logout() {
  try { await call('/auth/logout', {}); } catch (e) { /* gone anyway */ }
  state.me = null;
  showLogin('已退出登录');
}

async function start() {
  const nav = document.getElementById('nav');
  const level = {viewer: 1, staff: 2, admin: 3};
  for (const a of nav.querySelectorAll('a')) {
    const min = a.getAttribute('data-min-role');
    a.hidden = !!min && level[state.me.role] < level[min];
  }
  nav.hidden = false;
  const who = clear(document.getElementById('who'));
  add(who, [`${state.me.user}（${ROLE[state.me.role] || state.me.role}）`,
    h('button', {class: 'secondary small', id: 'logout', on: {click: logout}}, '退出')]);
  try { state.ops = await api('ops', {}); } catch (e) { state.ops = {}; }
  route();
}

/* ------------------------------------------------------------ routing */

const pages = {};
function route() {
  if (!state.me) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = parts[0] || 'dashboard';
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href').replace(/^#\/?/, '') || 'dashboard';
    a.classList.toggle('here', target === name || (target === 'needs' && name === 'need') ||
      (target === 'experts' && name === 'expert') || (target === 'achievements' && name === 'achievement'));
  }
  const main = clear(document.getElementById('main'));
  const page = pages[name];
  if (!page) { main.appendChild(msg('error', '没有这个页面。请从上方菜单选择。')); return; }
  Promise.resolve(page(main, ...parts.slice(1))).catch((e) => main.appendChild(msg('error', errorText(e))));
  main.focus();
}
window.addEventListener('hashchange', route);

async function facets() {
  if (!state.facets) state.facets = await api('needs', {facets: true});
  return state.facets;
}
function options(values, labels, selected, blank) {
  const out = blank ? [h('option', {value: ''}, blank)] : [];
  for (const v of values) out.push(h('option', {value: v, selected: v === selected}, labels ? (labels[v] || v) : v));
  return out;
}

/* ------------------------------------------------------------ 工作台 */

function needTable(rows, opts) {
  opts = opts || {};
  if (!rows.length) return h('p', {class: 'muted'}, opts.empty || '没有。');
  return h('div', {class: 'scroll'}, h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, '需求'), h('th', {}, '企业'), h('th', {class: 'hide-narrow'}, '产业链'),
      h('th', {}, '截止'), h('th', {class: 'hide-narrow'}, '状态'))),
    h('tbody', {}, rows.map((n) => h('tr', {},
      h('td', {}, link('need/' + n.id, n.title), n.list ? [' ', h('span', {class: 'tag'}, n.list)] : null,
        n.has_contact === false ? [' ', h('span', {class: 'tag warn'}, '无联系人')] : null),
      h('td', {}, n.org_name || n.org),
      h('td', {class: 'hide-narrow'}, (n.chains || []).map((c) => h('span', {class: 'tag'}, c))),
      h('td', {}, cnDate(n.deadline)),
      h('td', {class: 'hide-narrow'}, STATUS[n.status] || n.status))))));
}

pages.dashboard = async (main) => {
  const asOf = h('input', {type: 'date', id: 'as-of', value: sessionStorage.getItem('asOf') || today()});
  main.appendChild(h('h1', {}, '工作台'));
  const body = h('div', {});
  main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => { ev.preventDefault(); sessionStorage.setItem('asOf', asOf.value); load(); }}},
    h('label', {}, '截至日期', asOf), h('button', {type: 'submit'}, '刷新')));
  main.appendChild(body);
  async function load() {
    const d = await api('dashboard', {as_of: asOf.value || today()});
    clear(body);
    const cards = [
      ['open_needs', '待对接需求', '#/needs'],
      ['no_contact', '尚无联系人的需求', null],
      ['challenges_without_lead', '尚无牵头专家的榜单任务', '#/assign'],
      ['deadline_30_days', '30天内到期', null],
      ['overdue', '已过期仍待对接', null],
      ['experts_at_capacity', '不再接受任务的专家（容量为0）', null],
    ];
    body.appendChild(h('p', {class: 'muted'}, `截至 ${cnDate(d.as_of)}`));
    body.appendChild(h('div', {class: 'grid'}, cards.map(([k, label, href]) => h('div', {class: 'card'},
      h('div', {class: 'stat', id: 'stat-' + k}, String(d[k].count)),
      h('div', {class: 'stat-label'}, href ? h('a', {href}, label) : label)))));
    if (state.ops.progress) body.appendChild(await progressCard(asOf.value || today()));
    for (const [k, label] of cards.slice(1)) {
      if (!d[k].count) continue;
      body.appendChild(h('h2', {}, label));
      if (k === 'experts_at_capacity') {
        body.appendChild(h('ul', {}, d[k].experts.map((e) => h('li', {}, link('expert/' + e.id, e.name), ' ', h('span', {class: 'muted'}, e.org)))));
      } else {
        body.appendChild(needTable(d[k].needs));
        if (d[k].count > d[k].needs.length) body.appendChild(h('p', {class: 'muted small'}, `另有 ${d[k].count - d[k].needs.length} 项，见“需求”页。`));
      }
    }
  }
  await load();
};

// The year's progress against the work plan: `report progress` (the
// `progress` op) for the year of the date shown, up to that date.
const FUNNEL = ['contacted', 'accepted', 'declined', 'signed', 'completed', 'abandoned'];
async function progressCard(asOf) {
  const year = +asOf.slice(0, 4);
  let p;
  try { p = await api('progress', {year, as_of: asOf}); } catch (e) {
    // the rest of 工作台 stands without it (e.g. the targets file is missing)
    return h('div', {class: 'card', id: 'progress'}, h('h2', {}, `${year}年工作目标进度`), msg('error', errorText(e)));
  }
  const card = h('div', {class: 'card', id: 'progress'}, h('h2', {}, `${year}年工作目标进度`),
    h('p', {class: 'muted small'}, `截至 ${cnDate(p.as_of)}；目标取自年度工作要点，完成数取自对接记录`));
  const targets = p.targets.filter((t) => t.target !== null && t.target !== undefined);
  if (!targets.length) {
    card.appendChild(h('p', {class: 'muted'}, `${year}年没有设定工作目标（见 corpora/chenxi/targets.tsv）。`));
  } else {
    card.appendChild(h('div', {class: 'scroll'}, h('table', {class: 'progress-table'},
      h('thead', {}, h('tr', {}, h('th', {}, '指标'), h('th', {}, '目标'), h('th', {}, '完成'), h('th', {}, '进度'))),
      h('tbody', {}, targets.map((t) => {
        const has = t.actual !== null && t.actual !== undefined;
        const share = has && t.share !== undefined ? t.share : null;
        return h('tr', {'data-metric': t.metric},
          h('td', {}, t.label, t.source === 'manual' ? h('span', {class: 'tag'}, '手工填报') : null),
          h('td', {}, `${t.target} ${t.unit}`),
          h('td', {class: 'actual'}, has ? `${t.actual} ${t.unit}` : '未填报'),
          h('td', {}, share === null ? '—' : [h('progress', {max: 1, value: Math.min(share, 1)}), ` ${Math.round(share * 100)}%`]));
      })))));
  }
  const counts = {};
  for (const f of p.funnel) counts[f.state] = f.count;
  card.appendChild(h('p', {class: 'small', id: 'progress-funnel'}, '本年对接记录：',
    FUNNEL.map((st) => `${OUTCOME_STATE[st]} ${counts[st] || 0}`).join('，')));
  return card;
}

/* ------------------------------------------------------------ 需求 */

pages.needs = async (main) => {
  const f = await facets();
  const saved = JSON.parse(sessionStorage.getItem('needFilters') || '{}');
  const q = h('input', {id: 'need-query', type: 'search', placeholder: '全文检索，如：油茶 采收', value: saved.query || ''});
  const status = h('select', {id: 'need-status'}, options(['open', 'paired', 'closed', 'all'], STATUS, saved.status || 'open'));
  const chain = h('select', {id: 'need-chain'}, options(f.chains, null, saved.chain, '全部产业链'));
  const org = h('select', {id: 'need-org'}, h('option', {value: ''}, '全部企业'), f.orgs.map((o) => h('option', {value: o.id, selected: o.id === saved.org}, o.name)));
  const list = h('select', {id: 'need-list'}, options(f.lists, null, saved.list, '全部榜单'));
  const from = h('input', {type: 'date', value: saved.deadline_from || ''});
  const to = h('input', {type: 'date', value: saved.deadline_to || ''});
  const out = h('div', {});
  async function load() {
    const p = {query: q.value.trim() || null, status: status.value, chain: chain.value || null, org: org.value || null,
      list: list.value || null, deadline_from: from.value || null, deadline_to: to.value || null};
    sessionStorage.setItem('needFilters', JSON.stringify(p));
    const r = await api('needs', p);
    clear(out);
    out.appendChild(h('p', {class: 'muted', id: 'need-count'}, `共 ${r.total} 项` + (r.total > r.count ? `，显示前 ${r.count} 项` : '')));
    out.appendChild(needTable(r.needs, {empty: '没有符合条件的需求。'}));
  }
  main.appendChild(h('h1', {}, '需求'));
  main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => { ev.preventDefault(); load().catch(showErr(out)); }}},
    h('label', {class: 'wide'}, '检索', q), h('label', {}, '状态', status), h('label', {}, '产业链', chain),
    h('label', {}, '企业', org), h('label', {}, '榜单', list), h('label', {}, '截止从', from), h('label', {}, '到', to),
    h('button', {type: 'submit', id: 'need-search'}, '查询')));
  main.appendChild(out);
  await load();
};
function showErr(box) { return (e) => { box.appendChild(msg('error', errorText(e))); }; }

function flagList(flags) {
  if (!flags || !flags.length) return msg('ok', '录入质量良好，没有发现问题。');
  return h('ul', {class: 'flags'}, flags.map((f) => h('li', {class: 'msg ' + (f.severity === 'info' ? 'info' : 'warning')},
    h('strong', {}, (SEVERITY[f.severity] || f.severity) + '：'), f.message)));
}

// Outcome of a pairing (the `outcome` op, as `jiebang serve` records it;
// the server adds who recorded it): under each candidate, its state now and
// buttons for the next steps. A decline asks for its reason, a contract for
// its value and date, in a small form under the buttons; the engine checks
// the order of states and answers in words when a step does not follow.
const OUTCOME_STATE = {proposed: '已推荐', contacted: '已联系', accepted: '已接受', declined: '已拒绝',
  signed: '已签约', completed: '已完成', abandoned: '已放弃'};
const OUTCOMES = [['contacted', '已联系'], ['accepted', '已接受'], ['declined', '已拒绝'], ['signed', '已签约']];
// The engine names states by their codes and offers the command line's
// --force; a person here reads the states' names and no flag.
function outcomeError(text) {
  return text.replace(/\b(proposed|contacted|accepted|declined|signed|completed|abandoned)\b/g, (m) => OUTCOME_STATE[m])
    .replace(/ or /g, '或').replace(/；更正记录请加 --force$/, '。如需更正，请联系管理员。');
}
function outcomeKey(o) { return o.expert ? 'expert:' + o.expert : o.achievement ? 'achievement:' + o.achievement : 'org:' + o.org; }
function outcomeText(o) {
  if (!o) return '尚未记录';
  const parts = [OUTCOME_STATE[o.state] || o.state, cnDate(o.signed || o.date)];
  if (o.value !== undefined && o.value !== null) parts.push(`合同 ${o.value} 万元`);
  if (o.reason) parts.push(`原因：${o.reason}`);
  if (o.by) parts.push(`记录人：${o.by}`);
  return parts.join('，');
}
function outcomeBox(needId, r, known) {
  if (!state.ops.outcome || !state.ops.outcomes) return null;
  const key = r.type + ':' + r.id;
  const shown = h('span', {class: 'small outcome-state', 'data-cand': key}, '对接进展：', outcomeText(known[key]));
  if (!canWrite()) return h('div', {class: 'outcome'}, shown);
  const note = h('span', {class: 'small muted', role: 'status'});
  const form = h('div', {class: 'row outcome-form', hidden: true});
  const record = async (st, label, fields) => {
    note.textContent = '';
    try {
      await api('outcome', {need: needId, [r.type]: r.id, state: st, fields: fields || {}}, '正在记录');
      const now = await api('outcomes', {need: needId});
      for (const o of now.outcomes) known[outcomeKey(o)] = o;
      clear(shown).appendChild(document.createTextNode('对接进展：' + outcomeText(known[key])));
      note.textContent = `已记录：${label}`;
      form.hidden = true;
    } catch (e) { note.textContent = outcomeError(errorText(e)); }
  };
  // the form a step needs, under the buttons; Enter or 确认 records it
  const ask = (st, label, inputs, fields) => {
    clear(form);
    const ok = h('button', {type: 'submit', class: 'small', 'data-confirm': st}, `确认${label}`);
    add(form, [h('form', {class: 'row', on: {submit: (ev) => { ev.preventDefault(); const f = fields(); if (f) record(st, label, f); }}},
      inputs, ok, h('button', {type: 'button', class: 'small secondary', on: {click: () => { form.hidden = true; }}}, '取消'))]);
    form.hidden = false;
    inputs[0].querySelector('input').focus();
  };
  const buttons = OUTCOMES.map(([st, label]) => h('button', {class: 'small secondary', 'data-outcome': st, on: {click: () => {
    if (st === 'declined') {
      const reason = h('input', {name: 'reason', required: true, maxlength: 200, placeholder: '如：档期已满、方向不符'});
      ask(st, label, [h('label', {}, '拒绝原因', reason)], () => {
        if (!reason.value.trim()) { note.textContent = '请填写拒绝原因'; return null; }
        return {reason: reason.value.trim()};
      });
    } else if (st === 'signed') {
      const value = h('input', {name: 'value', type: 'number', min: 0, step: '0.01', required: true, inputmode: 'decimal'});
      const date = h('input', {name: 'signed', type: 'date', required: true, value: today()});
      ask(st, label, [h('label', {}, '合同金额（万元）', value), h('label', {}, '签约日期', date)], () => {
        if (value.value === '' || !(+value.value >= 0)) { note.textContent = '请填写合同金额（万元）'; return null; }
        if (!date.value) { note.textContent = '请填写签约日期'; return null; }
        return {value: +value.value, signed: date.value, date: date.value};
      });
    } else {
      record(st, label);
    }
  }}}, label));
  return h('div', {class: 'outcome no-print'}, shown, h('div', {class: 'row'}, buttons, note), form);
}

function matchItem(r, need, known) {
  const kind = r.type;
  const route = kind === 'org' ? null : kind + '/' + r.id;
  const terms = (r.terms || []).slice(0, 8).map((t) => h('span', {class: 'tag' + (t.feedback ? ' warn' : '')}, t.term));
  return h('div', {class: 'result'},
    h('div', {class: 'head'}, h('span', {class: 'muted'}, `${r.rank}.`), route ? link(route, r.name || r.id) : h('strong', {}, r.name || r.id),
      h('span', {class: 'muted small'}, r.org || ''), r.via ? h('span', {class: 'small muted'}, `（通过专家 ${r.via.name}）`) : null,
      h('span', {class: 'score'}, (+r.score).toFixed(3))),
    h('div', {class: 'why'}, '理由：', reasons(r.components).join('，')),
    terms.length ? h('div', {class: 'why'}, '匹配词：', terms) : null,
    r.evidence ? h('div', {class: 'evidence'}, h('strong', {}, marked(r.evidence.title)), r.evidence.year ? ` （${r.evidence.year}）` : '',
      h('div', {}, marked(r.evidence.snippet))) : null,
    r.note ? h('div', {class: 'why'}, r.note) : null,
    need ? outcomeBox(need.id, r, known || {}) : null);
}

pages.need = async (main, id) => {
  const wc = canWrite();
  const [need, check, match, outcomes] = await Promise.all([
    api('get', {type: 'need', record: id, with_contacts: wc}),
    // the page shows its own ranked list: the check's top three would be a second match
    api('check', {need: id, candidates: false}),
    api('match', {need: id, k: 30}, '正在匹配'),
    state.ops.outcomes ? api('outcomes', {need: id}) : {outcomes: []},
  ]);
  // what was recorded for each candidate, by "type:id"
  const known = {};
  for (const o of outcomes.outcomes) known[outcomeKey(o)] = o;
  const status = h('span', {class: 'tag', id: 'need-status-tag'}, STATUS[need.status] || need.status);
  main.appendChild(h('h1', {}, need.title, ' ', status));
  const props = [['编号', need.id], ['企业', match.query.org_name || need.org], ['产业链', (need.chains || []).join('、')],
    ['关键词', (need.keywords || []).join('、')], ['截止日期', cnDate(need.deadline)], ['预算', need.budget ? need.budget + ' 万元' : '—'],
    ['榜单', need.list || '—'], ['提出日期', cnDate(need.created)]];
  if (need.contact) props.push(['联系人', [need.contact.name, need.contact.phone, need.contact.email].filter(Boolean).join('  ')]);
  const outcome = h('div', {class: 'row no-print'});
  if (wc) {
    // The outcome a need reaches, stored on the need itself (status) through
    // the same import op as everything else; recorded in the audit trail.
    const setStatus = async (s, label) => {
      const rec = Object.assign({}, need, {status: s});
      try {
        await api('import', {records: [rec]}, '正在保存');
        need.status = s;
        status.textContent = STATUS[s];
        outcome.appendChild(msg('ok', `已记录：${label}`));
      } catch (e) { outcome.appendChild(msg('error', errorText(e))); }
    };
    add(outcome, [h('span', {class: 'muted'}, '记录结果：'),
      h('button', {class: 'ok', id: 'outcome-paired', on: {click: () => setStatus('paired', '已对接')}}, '已对接'),
      h('button', {class: 'secondary', id: 'outcome-closed', on: {click: () => setStatus('closed', '已关闭')}}, '关闭'),
      h('button', {class: 'secondary', id: 'outcome-open', on: {click: () => setStatus('open', '重新打开')}}, '重新打开')]);
  }
  main.appendChild(h('div', {class: 'cols'},
    h('div', {class: 'card'}, h('dl', {class: 'props'}, props.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('h3', {}, '需求描述'), h('div', {class: 'text'}, need.text || '（无）'), outcome),
    h('div', {class: 'card'}, h('h3', {}, '录入质量建议'), flagList(check.flags),
      check.suggestions && check.suggestions.keywords && check.suggestions.keywords.length ?
        h('p', {class: 'small'}, '建议关键词：', check.suggestions.keywords.map((k) => h('span', {class: 'tag'}, k))) : null)));
  const groups = {expert: [], achievement: [], org: []};
  for (const r of match.results) (groups[r.type] || []).push(r);
  main.appendChild(h('h2', {}, '推荐'));
  main.appendChild(h('div', {class: 'cols3'}, ['expert', 'achievement', 'org'].map((t) =>
    h('div', {class: 'card', id: 'match-' + t}, h('h3', {}, `${KIND[t]}（${groups[t].length}）`),
      groups[t].length ? groups[t].slice(0, 10).map((r) => matchItem(r, need, known)) : h('p', {class: 'muted'}, '没有足够相关的候选。')))));
  // pairings recorded for candidates not listed above (a declined one is
  // never proposed again for this need): their outcomes stay in sight
  const shown = new Set();
  for (const t of ['expert', 'achievement', 'org']) for (const r of groups[t].slice(0, 10)) shown.add(r.type + ':' + r.id);
  const others = outcomes.outcomes.filter((o) => !shown.has(outcomeKey(o)));
  if (others.length) {
    main.appendChild(h('h3', {}, '其他已记录的对接'));
    main.appendChild(h('ul', {id: 'other-outcomes'}, others.map((o) => {
      const [type, cid] = outcomeKey(o).split(/:(.*)/);
      return h('li', {}, `${KIND[type] || type} `, type === 'org' ? cid : link(type + '/' + cid, cid), '：', outcomeText(o));
    })));
  }
  if (match.excluded && match.excluded.length) {
    main.appendChild(h('h3', {}, '未列入的候选'));
    main.appendChild(h('ul', {}, match.excluded.map((x) => h('li', {}, `${x.name || x.id}：${x.reason}`))));
  }
  // why not X?
  const who = h('input', {id: 'why-not-id', placeholder: '专家或成果编号，如 exp-0001'});
  const ans = h('div', {});
  main.appendChild(h('form', {class: 'card row', on: {submit: async (ev) => {
    ev.preventDefault();
    clear(ans);
    try {
      const r = await api('match', {need: id, k: 10, why_not: who.value.trim()});
      const w = r.why_not || {};
      ans.appendChild(msg('info', `${w.name || w.id || who.value}：${w.reason || '已在列表中'}` +
        (w.score !== undefined ? `（得分 ${(+w.score).toFixed(3)}，文本相关度 ${(+(w.text || 0)).toFixed(3)}，门槛 ${w.floor}）` : '')));
    } catch (e) { ans.appendChild(msg('error', errorText(e))); }
  }}}, h('label', {class: 'wide'}, '为什么没有推荐……？', who), h('button', {type: 'submit', id: 'why-not'}, '查询原因'), ans));
};

/* ------------------------------------------------------------ 录入 */

function splitList(s) { return s.split(/[,，;；、\s]+/).map((x) => x.trim()).filter(Boolean); }

pages.intake = async (main) => {
  if (!canWrite()) { main.appendChild(msg('error', '只读账号不能录入需求。')); return; }
  const f = await facets();
  const id = h('input', {id: 'in-id', value: 'need-' + today().replace(/-/g, '') + '-' + Math.random().toString(36).slice(2, 6)});
  const org = h('select', {id: 'in-org'}, h('option', {value: ''}, '（选择企业）'), f.orgs.map((o) => h('option', {value: o.id}, o.name)));
  const title = h('input', {id: 'in-title', required: true});
  const text = h('textarea', {id: 'in-text', placeholder: '现状、具体问题、目标指标（如“出油率由18%提高到22%”）、希望的合作方式'});
  const kw = h('input', {id: 'in-keywords', placeholder: '用逗号或顿号分隔'});
  const chains = h('input', {id: 'in-chains', placeholder: '如：油茶'});
  const deadline = h('input', {id: 'in-deadline', type: 'date'});
  const budget = h('input', {id: 'in-budget', type: 'number', min: 0, step: 1});
  const cname = h('input', {id: 'in-contact-name'}), cphone = h('input', {id: 'in-contact-phone'});
  const list = h('input', {id: 'in-list', list: 'lists'});
  const advice = h('div', {id: 'advice', 'aria-live': 'polite'}, h('p', {class: 'muted'}, '输入标题和描述后，这里会实时显示录入建议。'));
  const result = h('div', {});
  let lastCheck = null;
  function record() {
    const r = {type: 'need', id: id.value.trim(), title: title.value.trim(), text: text.value.trim(), status: 'open', created: today()};
    if (org.value) r.org = org.value;
    if (kw.value.trim()) r.keywords = splitList(kw.value);
    if (chains.value.trim()) r.chains = splitList(chains.value);
    if (deadline.value) r.deadline = deadline.value;
    if (budget.value) r.budget = +budget.value;
    if (list.value.trim()) r.list = list.value.trim();
    if (cname.value.trim() || cphone.value.trim()) r.contact = {name: cname.value.trim(), phone: cphone.value.trim()};
    return r;
  }
  function addTo(input, v) {
    const cur = splitList(input.value);
    if (!cur.includes(v)) input.value = cur.concat([v]).join('，');
    schedule();
  }
  let timer = null, seq = 0;
  function schedule() { clearTimeout(timer); timer = setTimeout(runCheck, 400); }
  async function runCheck() {
    const my = ++seq;
    const r = record();
    if (!r.title && !r.text) return;
    try {
      const c = await api('check', {record: r});
      if (my !== seq) return; // a newer check is under way
      lastCheck = c;
      clear(advice);
      advice.appendChild(flagList(c.flags));
      const s = c.suggestions || {};
      if (s.keywords && s.keywords.length) advice.appendChild(h('p', {}, '建议关键词（点击加入）：', s.keywords.map((k) => h('button', {type: 'button', class: 'chip', on: {click: () => addTo(kw, k)}}, k))));
      if (s.chains && s.chains.length) advice.appendChild(h('p', {}, '建议产业链（点击加入）：', s.chains.map((k) => h('button', {type: 'button', class: 'chip', on: {click: () => addTo(chains, k)}}, k))));
      if (s.similar_needs && s.similar_needs.length) advice.appendChild(h('div', {class: 'msg warning', id: 'duplicates'}, '相似的已有需求（可能重复）：',
        h('ul', {}, s.similar_needs.map((n) => h('li', {}, link('need/' + n.id, n.title), ` 相似度 ${(+n.similarity).toFixed(2)}`)))));
      if (s.top_candidates && s.top_candidates.length) advice.appendChild(h('p', {class: 'small'}, '可能的对接对象：',
        s.top_candidates.map((t) => h('span', {class: 'tag'}, `${KIND[t.type] || t.type} ${t.name}`))));
    } catch (e) { clear(advice); advice.appendChild(msg('error', errorText(e))); }
  }
  const form = h('form', {class: 'card', on: {input: schedule, submit: async (ev) => {
    ev.preventDefault();
    clear(result);
    const r = record();
    const dup = lastCheck && (lastCheck.flags || []).some((x) => x.code === 'duplicate');
    if (dup && !confirm('这条需求与已有需求高度相似，可能重复。仍然保存吗？')) return;
    try {
      await api('import', {records: [r]}, '正在保存');
      state.facets = null;
      location.hash = '#/need/' + encodeURIComponent(r.id);
    } catch (e) { result.appendChild(msg('error', errorText(e) + '。请按提示修改后再保存。')); }
  }}},
  h('div', {class: 'row'}, h('label', {}, '编号', id), h('label', {}, '需求企业', org), h('label', {}, '榜单（可空）', list)),
  h('datalist', {id: 'lists'}, f.lists.map((l) => h('option', {value: l}))),
  h('div', {class: 'row'}, h('label', {class: 'wide'}, '标题', title)),
  h('label', {}, '需求描述', text),
  h('div', {class: 'row'}, h('label', {class: 'wide'}, '关键词', kw), h('label', {class: 'wide'}, '产业链', chains)),
  h('div', {class: 'row'}, h('label', {}, '期望完成日期', deadline), h('label', {}, '预算（万元）', budget),
    h('label', {}, '联系人', cname), h('label', {}, '电话', cphone)),
  result,
  h('button', {type: 'submit', id: 'in-save'}, '保存需求'));
  main.appendChild(h('h1', {}, '录入需求'));
  main.appendChild(h('div', {class: 'cols'}, form, h('div', {class: 'card'}, h('h3', {}, '录入建议'), advice)));
  title.focus();
};

/* ------------------------------------------------------------ 导入 */

pages.import = async (main) => {
  main.appendChild(h('h1', {}, '导入'));
  if (!isAdmin()) { main.appendChild(msg('error', '只有管理员可以导入。')); return; }
  const file = h('input', {type: 'file', id: 'imp-file', accept: '.csv,.jsonl,.json,.txt'});
  const enc = h('select', {id: 'imp-enc'}, h('option', {value: 'utf-8'}, 'UTF-8'), h('option', {value: 'gb18030'}, 'GBK / GB18030（中文 Excel 导出）'));
  const out = h('div', {});
  let pending = null;
  async function preview(ev) {
    ev.preventDefault();
    clear(out);
    const f = file.files[0];
    if (!f) { out.appendChild(msg('error', '请先选择文件。')); return; }
    if (f.size > 8 * 1024 * 1024) { out.appendChild(msg('error', '文件超过 8 MB：请由管理员在服务器上用 jiebang import 导入。')); return; }
    const textDec = new TextDecoder(enc.value, {fatal: false});
    const text = textDec.decode(await f.arrayBuffer());
    pending = {name: f.name, text};
    try {
      const r = await api('import', Object.assign({dry_run: true}, pending), '正在检查');
      showResult(r, true);
    } catch (e) { out.appendChild(msg('error', errorText(e))); }
  }
  function showResult(r, dry) {
    clear(out);
    out.appendChild(msg(r.invalid ? 'warning' : 'ok', `${dry ? '预检' : '已导入'}：读取 ${r.read} 条，新增 ${r.inserted}，更新 ${r.updated}，不变 ${r.unchanged}，有错 ${r.invalid}`));
    if (r.errors.length) out.appendChild(h('div', {class: 'card', id: 'imp-errors'}, h('h3', {}, '有问题的行（文件:行号: 字段: 原因）'), h('ul', {}, r.errors.map((e) => h('li', {}, e)))));
    if (r.changes.length) out.appendChild(h('div', {class: 'card scroll'}, h('h3', {}, '将要变化的记录'), h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, '行'), h('th', {}, '类型'), h('th', {}, '编号'), h('th', {}, '变化'))),
      h('tbody', {}, r.changes.map((c) => h('tr', {}, h('td', {}, String(c.line)), h('td', {}, KIND[c.type] || c.type), h('td', {}, c.id),
        h('td', {}, c.change === 'insert' ? '新增' : '更新')))))));
    if (dry) {
      out.appendChild(h('div', {class: 'row'},
        h('button', {id: 'imp-commit', disabled: r.invalid > 0 || !(r.inserted + r.updated), on: {click: commit}}, '确认导入'),
        h('button', {class: 'secondary', on: {click: () => { pending = null; clear(out); out.appendChild(msg('info', '已取消，没有导入任何数据。')); }}}, '取消'),
        r.invalid > 0 ? h('span', {class: 'muted'}, '有错误时整个文件不会导入：请改正后重新选择文件。') : null));
    }
  }
  async function commit() {
    try {
      const r = await api('import', pending, '正在导入');
      state.facets = null;
      showResult(r, false);
    } catch (e) { out.appendChild(msg('error', errorText(e) + '。没有导入任何数据。')); }
  }
  main.appendChild(h('form', {class: 'card filters', on: {submit: preview}},
    h('label', {}, '文件（CSV 或 JSON Lines；文件名决定类型，如 needs.csv）', file), h('label', {}, '编码', enc),
    h('button', {type: 'submit', id: 'imp-preview'}, '预检')));
  main.appendChild(out);
};

/* ------------------------------------------------------------ 专家、成果 */

function searchPage(kind, title) {
  return async (main) => {
    main.appendChild(h('h1', {}, title));
    const q = h('input', {id: kind + '-query', type: 'search', placeholder: '如：油茶 采收机械', value: sessionStorage.getItem(kind + 'Q') || ''});
    const out = h('div', {});
    async function load() {
      clear(out);
      if (!q.value.trim()) { out.appendChild(h('p', {class: 'muted'}, '输入关键词检索。')); return; }
      sessionStorage.setItem(kind + 'Q', q.value);
      const r = await api('search', {query: q.value, type: kind, k: 50});
      out.appendChild(h('p', {class: 'muted'}, `${r.count} 项`));
      out.appendChild(h('div', {class: 'card'}, r.results.length ? r.results.map((x) => h('div', {class: 'result'},
        h('div', {class: 'head'}, link(kind + '/' + x.id, unmark(x.name || x.title || x.id)), h('span', {class: 'muted small'}, x.id)),
        x.evidence ? h('div', {class: 'why'}, '证据：', marked(x.evidence.title)) : null,
        h('div', {class: 'small'}, marked(x.snippet)))) : h('p', {class: 'muted'}, '没有找到。')));
    }
    main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => { ev.preventDefault(); load().catch(showErr(out)); }}},
      h('label', {class: 'wide'}, '检索', q), h('button', {type: 'submit', id: kind + '-search'}, '检索')));
    main.appendChild(out);
    await load();
  };
}
pages.experts = searchPage('expert', '专家');
pages.achievements = searchPage('achievement', '成果');

function pushList(r) {
  if (!r.results.length) return h('p', {class: 'muted'}, '没有足够相关的待对接需求。');
  return r.results.map((x) => h('div', {class: 'result'},
    h('div', {class: 'head'}, link('need/' + x.id, x.name || x.title || x.id), h('span', {class: 'score'}, (+x.score).toFixed(3))),
    h('div', {class: 'why'}, '理由：', reasons(x.components).join('，')),
    x.terms ? h('div', {class: 'why'}, '匹配词：', x.terms.slice(0, 8).map((t) => h('span', {class: 'tag'}, t.term))) : null));
}

pages.expert = async (main, id) => {
  const [e, push] = await Promise.all([api('get', {type: 'expert', record: id}), api('match', {expert: id, k: 10}, '正在查找适合的需求')]);
  main.appendChild(h('h1', {}, e.name || e.id, ' ', h('span', {class: 'muted small'}, e.rank || '')));
  main.appendChild(h('div', {class: 'cols'},
    h('div', {class: 'card'}, h('dl', {class: 'props'},
      [['编号', e.id], ['单位', e.org], ['领域', (e.fields || []).join('、')], ['关键词', (e.keywords || []).join('、')],
        ['人才计划', (e.programs || []).join('、') || '—'], ['地区', e.region || '—'], ['可同时承担', String(e.capacity ?? 1) + ' 项']]
        .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h3', {}, '简介'), h('div', {class: 'text'}, e.bio || '（无）'),
    h('h3', {}, `论文、专利、项目（${(e.papers || []).length}）`),
    h('ul', {}, (e.papers || []).map((p) => h('li', {}, h('strong', {}, p.title), ` ${p.year || ''} `, h('span', {class: 'muted small'}, p.kind || ''))))),
    h('div', {class: 'card', id: 'push'}, h('h3', {}, '适合的待对接需求'), pushList(push))));
};

pages.achievement = async (main, id) => {
  const [a, push] = await Promise.all([api('get', {type: 'achievement', record: id}), api('match', {achievement: id, k: 10}, '正在查找适合的需求')]);
  main.appendChild(h('h1', {}, a.title));
  main.appendChild(h('div', {class: 'cols'},
    h('div', {class: 'card'}, h('dl', {class: 'props'},
      [['编号', a.id], ['类型', a.kind || '—'], ['成熟度', a.maturity || '—'], ['单位', a.org || '—'], ['年份', String(a.year || '—')],
        ['产业链', (a.chains || []).join('、')]].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h3', {}, '内容'), h('div', {class: 'text'}, a.text || '（无）')),
    h('div', {class: 'card', id: 'push'}, h('h3', {}, '适合的待对接需求'), pushList(push))));
};

/* ------------------------------------------------------------ 揭榜挂帅、派遣 */

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = h('a', {download: name});
  a.setAttribute('href', url); // a blob: of our own making, not record data
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// One proposal page for both engines: challenge lists and placement.
function proposalPage(cfg) {
  return async (main) => {
    main.appendChild(h('h1', {}, cfg.title));
    const decisions = new Map(); // "need\texpert" → {need, expert, role, d: 'accept'|'reject'}
    const out = h('div', {});
    const params = await cfg.params(main);
    async function run() {
      const p = Object.assign({}, params(), {
        fix: [...decisions.values()].filter((x) => x.d === 'accept').map((x) => ({need: x.need, expert: x.expert, role: x.role})),
        forbid: [...decisions.values()].filter((x) => x.d === 'reject').map((x) => ({need: x.need, expert: x.expert})),
      });
      clear(out);
      const r = await api('assign', p, '正在计算最优方案');
      show(r);
      return p;
    }
    function show(r) {
      const o = r.objective;
      out.appendChild(h('div', {class: 'card', id: 'objective'},
        h('strong', {}, `${o.optimal ? '已求得最优方案' : '方案（未证明最优）'}：`),
        `任务 ${o.tasks} 项，已安排 ${o.matched} 项；总分 ${(+o.value).toFixed(3)}，上界 ${(+o.upper_bound).toFixed(3)}，差距 ${(+o.gap).toFixed(4)}；` +
        `逐项挑最好的人工做法得 ${(+o.greedy.value).toFixed(3)}（安排 ${o.greedy.matched} 项）。`,
        decisions.size ? h('div', {class: 'small muted'}, `已保留 ${[...decisions.values()].filter((x) => x.d === 'accept').length} 个接受、${[...decisions.values()].filter((x) => x.d === 'reject').length} 个拒绝的决定。`) : null));
      const rows = r.pairs.map((pr) => {
        const task = pr.need || pr.target;
        const key = task + '\t' + pr.expert;
        const dec = decisions.get(key);
        const tr = h('tr', {class: dec ? 'pair-' + dec.d : null, 'data-pair': key},
          h('td', {}, pr.need ? link('need/' + pr.need, pr.title) : pr.title),
          h('td', {}, pr.role === 'lead' ? '牵头' : '成员'),
          h('td', {}, link('expert/' + pr.expert, pr.name), h('div', {class: 'small muted'}, pr.org)),
          h('td', {}, (+pr.score).toFixed(3)),
          h('td', {class: 'small hide-narrow'}, reasons(pr.why && pr.why.components).join('，'),
            pr.why && pr.why.evidence ? h('div', {class: 'muted'}, '证据：', unmark(pr.why.evidence.title)) : null,
            pr.why && pr.why.note ? h('div', {class: 'muted'}, pr.why.note) : null),
          h('td', {class: 'no-print'},
            h('button', {class: 'small ok', 'aria-label': `接受 ${pr.name}`, on: {click: () => decide(tr, key, task, pr, 'accept')}}, '接受'), ' ',
            h('button', {class: 'small danger', 'aria-label': `拒绝 ${pr.name}`, on: {click: () => decide(tr, key, task, pr, 'reject')}}, '拒绝')));
        return tr;
      });
      out.appendChild(h('div', {class: 'scroll'}, h('table', {id: 'pairs'},
        h('thead', {}, h('tr', {}, h('th', {}, cfg.taskLabel), h('th', {}, '角色'), h('th', {}, '专家'), h('th', {}, '得分'),
          h('th', {class: 'hide-narrow'}, '理由'), h('th', {class: 'no-print'}, '决定'))),
        h('tbody', {}, rows))));
      if (r.unmatched.length) {
        out.appendChild(h('h2', {}, `未安排（${r.unmatched.length}）`));
        out.appendChild(h('ul', {id: 'unmatched'}, r.unmatched.map((u) => h('li', {}, h('strong', {}, u.title || u.id), '：', u.detail || u.reason,
          u.best_candidates && u.best_candidates.length ? h('div', {class: 'small muted'}, '最接近的候选：',
            u.best_candidates.slice(0, 3).map((b) => `${b.name}（${(+b.score).toFixed(2)}${b.why_not_used ? '，' + b.why_not_used : ''}）`).join('；')) : null))));
      }
    }
    function decide(tr, key, task, pr, d) {
      const cur = decisions.get(key);
      if (cur && cur.d === d) { decisions.delete(key); tr.className = ''; return; }
      decisions.set(key, {need: task, expert: pr.expert, role: pr.role, d});
      tr.className = 'pair-' + d;
    }
    const bar = h('div', {class: 'row no-print'},
      h('button', {id: 'run', on: {click: () => run().catch(showErr(out))}}, '生成方案'),
      h('button', {class: 'secondary', id: 'rerun', on: {click: () => run().catch(showErr(out))}}, '按决定重新计算'),
      h('button', {class: 'secondary', id: 'csv', on: {click: async () => {
        try {
          const p = Object.assign({}, params(), {format: 'csv',
            fix: [...decisions.values()].filter((x) => x.d === 'accept').map((x) => ({need: x.need, expert: x.expert, role: x.role})),
            forbid: [...decisions.values()].filter((x) => x.d === 'reject').map((x) => ({need: x.need, expert: x.expert}))});
          const r = await api('assign', p, '正在生成 CSV');
          download(cfg.csvName, r.text, 'text/csv;charset=utf-8');
        } catch (e) { out.appendChild(msg('error', errorText(e))); }
      }}}, '下载 CSV'),
      h('button', {class: 'secondary', id: 'print', on: {click: () => window.print()}}, '打印'));
    main.appendChild(bar);
    main.appendChild(h('p', {class: 'muted small no-print'}, '点“接受”或“拒绝”逐对决定，再点“按决定重新计算”：接受的保留，拒绝的不再安排，其余重新优化。'));
    main.appendChild(out);
  };
}

pages.assign = proposalPage({
  title: '揭榜挂帅', taskLabel: '榜单任务', csvName: 'jiebang-proposal.csv',
  params: async (main) => {
    const f = await facets();
    const saved = sessionStorage.getItem('assignList') || f.lists[0] || '';
    const list = h('select', {id: 'assign-list', on: {change: () => sessionStorage.setItem('assignList', list.value)}}, options(f.lists, null, saved));
    const fair = h('input', {type: 'checkbox', id: 'assign-fair'});
    main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => ev.preventDefault()}},
      h('label', {}, '榜单', list), h('label', {class: 'inline'}, fair, '兼顾公平（先让最弱的牵头尽量强）')));
    return () => ({list: list.value, fair: fair.checked});
  },
});

pages.placement = proposalPage({
  title: '科技特派员派遣', taskLabel: '企业', csvName: 'jiebang-placement.csv',
  params: async (main) => {
    const program = h('input', {id: 'place-program', value: '科技特派员'});
    main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => ev.preventDefault()}},
      h('label', {}, '人才计划', program), h('span', {class: 'muted small'}, '按企业的待对接需求，为每家企业安排一名特派员。')));
    return () => ({targets: 'orgs', program: program.value.trim() || null});
  },
});

/* ------------------------------------------------------------ 需求清单 */

pages.demands = async (main) => {
  const f = await facets();
  const chain = h('select', {id: 'dem-chain'}, options(f.chains, null, '', '全部产业链'));
  const out = h('div', {});
  const printLink = h('a', {href: '/print/demands', target: '_blank', rel: 'noopener', id: 'dem-print'}, '打印视图');
  async function load() {
    const p = {chain: chain.value || null};
    printLink.setAttribute('href', safeHref('/print/demands' + (p.chain ? '?chain=' + encodeURIComponent(p.chain) : '')));
    const r = await api('demands', p, '正在生成需求清单');
    clear(out);
    const s = r.summary;
    out.appendChild(msg('info', `${cnDate(r.generated)} 生成：待对接需求 ${s.needs} 项，列出 ${s.listed} 项（合并近似重复 ${s.duplicates_merged} 项），多家企业的共性需求 ${s.common_needs} 项，涉及 ${s.chains} 条产业链。排序：${r.priority}`));
    for (const c of r.chains) {
      out.appendChild(h('h2', {}, c.chain, c.parent ? h('span', {class: 'muted small'}, ` （${c.parent}，优先级 ${c.priority}）`) : null));
      out.appendChild(h('div', {class: 'scroll'}, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, '序'), h('th', {}, '需求'), h('th', {}, '企业'), h('th', {}, '截止'), h('th', {class: 'hide-narrow'}, '推荐专家'), h('th', {class: 'hide-narrow'}, '推荐成果'))),
        h('tbody', {}, c.needs.map((n) => h('tr', {},
          h('td', {}, String(n.rank)),
          h('td', {}, link('need/' + n.id, n.title), n.enterprises > 1 ? h('span', {class: 'tag warn'}, `${n.enterprises} 家企业`) : null,
            n.duplicates && n.duplicates.length ? h('div', {class: 'small muted'}, '合并：', n.duplicates.map((d) => d.title).join('；')) : null),
          h('td', {}, n.org_name),
          h('td', {}, cnDate(n.deadline)),
          h('td', {class: 'hide-narrow small'}, (n.experts || []).map((e) => `${e.name}（${e.org_name}）`).join('；')),
          h('td', {class: 'hide-narrow small'}, (n.achievements || []).map((a) => a.title).join('；'))))))));
    }
  }
  main.appendChild(h('h1', {}, '需求清单'));
  main.appendChild(h('form', {class: 'filters', on: {submit: (ev) => { ev.preventDefault(); load().catch(showErr(out)); }}},
    h('label', {}, '产业链', chain), h('button', {type: 'submit', id: 'dem-run'}, '生成'), printLink,
    h('button', {type: 'button', class: 'secondary', id: 'dem-csv', on: {click: async () => {
      try {
        const r = await api('demands', {chain: chain.value || null, format: 'csv'}, '正在生成 CSV');
        download('需求清单.csv', r.text, 'text/csv;charset=utf-8');
      } catch (e) { out.appendChild(msg('error', errorText(e))); }
    }}}, '下载 CSV')));
  main.appendChild(out);
  await load();
};

/* ------------------------------------------------------------ 用户 */

pages.users = async (main) => {
  main.appendChild(h('h1', {}, '用户与审计'));
  if (!isAdmin()) { main.appendChild(msg('error', '只有管理员可以管理用户。')); return; }
  const out = h('div', {});
  const name = h('input', {id: 'u-name', autocomplete: 'off'});
  const role = h('select', {id: 'u-role'}, options(['staff', 'viewer', 'admin'], ROLE, 'staff'));
  const pw = h('input', {id: 'u-password', type: 'password', autocomplete: 'new-password'});
  const note = h('div', {});
  async function load() {
    const [users, audit] = await Promise.all([call('/admin/users', {action: 'list'}), call('/admin/audit', {})]);
    clear(out);
    out.appendChild(h('div', {class: 'scroll'}, h('table', {id: 'users'},
      h('thead', {}, h('tr', {}, h('th', {}, '用户'), h('th', {}, '角色'), h('th', {}, '状态'), h('th', {}, '更新'), h('th', {}, ''))),
      h('tbody', {}, users.result.map((u) => h('tr', {}, h('td', {}, u.name), h('td', {}, ROLE[u.role] || u.role),
        h('td', {}, u.disabled ? '已停用' : '正常'), h('td', {}, cnDate(u.updated)),
        h('td', {}, u.disabled || u.name === state.me.user ? null : h('button', {class: 'small danger', on: {click: async () => {
          if (!confirm(`停用 ${u.name}？其登录会立即失效。`)) return;
          try { await call('/admin/users', {action: 'disable', name: u.name}); await load(); } catch (e) { note.appendChild(msg('error', errorText(e))); }
        }}}, '停用'))))))));
    out.appendChild(h('h2', {}, '最近的修改记录'));
    out.appendChild(h('div', {class: 'scroll'}, h('table', {id: 'audit'},
      h('thead', {}, h('tr', {}, h('th', {}, '时间（UTC）'), h('th', {}, '用户'), h('th', {}, '操作'), h('th', {}, '内容'))),
      h('tbody', {}, audit.result.map((a) => h('tr', {}, h('td', {}, a.at.replace('T', ' ').replace('Z', '')), h('td', {}, a.user), h('td', {}, AUDIT_OP[a.op] || a.op),
        h('td', {class: 'small'}, describe(a.detail))))))));
  }
  function describe(d) {
    if (!d) return '';
    if (d.account) return `账号 ${d.account}` + (d.role ? `（${ROLE[d.role] || d.role}）` : '');
    const ch = (d.changes || []).slice(0, 5).map((c) => `${c.change === 'insert' ? '新增' : '更新'} ${c.id}`).join('，');
    return `${d.file ? d.file + '：' : ''}新增 ${d.inserted || 0}，更新 ${d.updated || 0}` + (ch ? `（${ch}${(d.changes || []).length > 5 ? '……' : ''}）` : '');
  }
  main.appendChild(h('form', {class: 'card filters', on: {submit: async (ev) => {
    ev.preventDefault();
    clear(note);
    try {
      await call('/admin/users', {action: 'add', name: name.value.trim(), role: role.value, password: pw.value});
      note.appendChild(msg('ok', `已添加 ${name.value}`));
      name.value = pw.value = '';
      await load();
    } catch (e) { note.appendChild(msg('error', errorText(e))); }
  }}}, h('label', {}, '新用户名', name), h('label', {}, '角色', role), h('label', {}, '初始密码（至少 8 位）', pw),
  h('button', {type: 'submit'}, '添加用户'), note));
  main.appendChild(out);
  await load();
};

/* ------------------------------------------------------------ start */

// "/" jumps to the page's search box, as on most sites.
document.addEventListener('keydown', (ev) => {
  if (ev.key !== '/' || /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
  const box = document.querySelector('main input[type=search]');
  if (box) { ev.preventDefault(); box.focus(); }
});

(async () => {
  try {
    const r = await fetch('/auth/me', {credentials: 'same-origin'});
    if (r.ok) { state.me = await r.json(); await start(); return; }
  } catch (e) { /* not logged in */ }
  showLogin();
})();
