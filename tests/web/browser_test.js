// browser_test.js BASE_URL SHOT_DIR — the workbench in Debian's chromium,
// driven headless by puppeteer-core: the staff flow, the viewer who can
// change nothing, hostile record text shown as text, and screenshots of
// every page at a laptop (1366x768) and a phone (390x844) width.
'use strict';
const puppeteer = require('puppeteer-core');
const fs = require('fs');
const path = require('path');

const base = process.argv[2];
const shots = process.argv[3];
fs.mkdirSync(shots, {recursive: true});
let pass = 0, fail = 0;
function ok(cond, what) {
  if (cond) pass++;
  else { fail++; console.error('FAIL: ' + what); }
}

async function login(page, name, pw) {
  await page.goto(base + '/', {waitUntil: 'load'});
  await page.waitForSelector('#login-name');
  await page.type('#login-name', name);
  await page.type('#login-password', pw);
  await page.click('#login-submit');
  await page.waitForSelector('#nav:not([hidden])');
}

async function go(page, route, selector) {
  await page.evaluate((r) => { location.hash = r; }, route);
  await page.waitForSelector(selector, {timeout: 30000});
}

async function shoot(page, name) {
  for (const [w, hgt, tag] of [[1366, 768, 'laptop'], [390, 844, 'phone']]) {
    await page.setViewport({width: w, height: hgt});
    await new Promise((r) => setTimeout(r, 150));
    await page.screenshot({path: path.join(shots, `${name}-${tag}.png`), fullPage: false});
    // nothing may stick out sideways except inside a scrolling table box
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    ok(over <= 1, `${name} at ${w}px: page is ${over}px wider than the window`);
  }
  await page.setViewport({width: 1366, height: 768});
}

(async () => {
  const profile = fs.mkdtempSync(path.join(require('os').tmpdir(), 'jb-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--user-data-dir=' + profile],
  });
  const dialogs = [];
  const errors = [];
  function watch(page) {
    page.on('dialog', async (d) => {
      // the intake's "save a likely duplicate?" confirm is ours; any alert is injected script
      if (d.type() === 'confirm') { await d.accept(); return; }
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error' && !/40[13]|status of 4/.test(m.text())) errors.push(m.text()); });
  }
  try {
    // ---------------------------------------------------------------- staff
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    watch(page);
    await page.setViewport({width: 1366, height: 768});
    await page.goto(base + '/', {waitUntil: 'load'});
    await page.waitForSelector('#login-name');
    await shoot(page, 'login');
    // a wrong password is refused with a message
    await page.type('#login-name', 'staff1');
    await page.type('#login-password', 'wrong-password');
    await page.click('#login-submit');
    await page.waitForSelector('.msg.error');
    ok(/用户名或密码错误/.test(await page.$eval('.msg.error', (e) => e.textContent)), 'wrong password: message');
    await page.$eval('#login-name', (e) => { e.value = ''; });
    await page.type('#login-name', 'staff1');
    await page.type('#login-password', process.env.STAFF_PW);
    await page.click('#login-submit');
    await page.waitForSelector('#stat-open_needs');
    ok(+(await page.$eval('#stat-open_needs', (e) => e.textContent)) > 0, 'dashboard counts open needs');
    await shoot(page, 'dashboard');

    // needs list with a filter and full-text search
    await go(page, '#/needs', '#need-count');
    await page.type('#need-query', '油茶 采收');
    await page.click('#need-search');
    await page.waitForFunction(() => /共 \d+ 项/.test(document.querySelector('#need-count').textContent) &&
      document.querySelectorAll('main tbody tr').length > 0);
    ok(/油茶/.test(await page.$eval('main tbody', (e) => e.textContent)), 'full-text search lists 油茶 needs');
    await shoot(page, 'needs');

    // intake with live advice, then save
    await go(page, '#/intake', '#in-title');
    await page.type('#in-title', '希望专家帮助提升产品质量');
    await page.waitForFunction(() => document.querySelectorAll('#advice .flags li').length > 0, {timeout: 15000});
    ok(/过短|技术内容/.test(await page.$eval('#advice', (e) => e.textContent)), 'live advice names the problems');
    ok(!!(await page.$('#duplicates')), 'duplicate warning shown before saving');
    await page.$eval('#in-title', (e) => { e.value = ''; });
    await page.type('#in-title', '油茶鲜果脱壳后茶籽快速烘干');
    await page.type('#in-text', '公司每年收购油茶鲜果2000吨，脱壳后茶籽含水率约35%，靠晾晒需10天以上，遇阴雨易霉变，酸价升高。希望建设热泵或生物质烘干线，日处理茶籽20吨，烘后含水率≤9%，能耗每吨不超过80元。');
    await page.select('#in-org', 'org-yongxin');
    await page.waitForFunction(() => /建议|良好/.test(document.querySelector('#advice').textContent) &&
      document.querySelector('#advice').textContent.indexOf('过短') < 0, {timeout: 15000});
    await shoot(page, 'intake');
    const newId = await page.$eval('#in-id', (e) => e.value);
    await page.click('#in-save');
    await page.waitForSelector('#match-expert .result', {timeout: 30000});
    ok(decodeURIComponent(page.url()).endsWith('#/need/' + newId), 'saved need opens its page');
    ok((await page.$$('#match-expert .result')).length > 0, 'the new need has ranked experts');
    ok(/理由/.test(await page.$eval('#match-expert', (e) => e.textContent)), 'matches show reasons');
    await shoot(page, 'need');
    // why not?
    await page.type('#why-not-id', 'exp-0001');
    await page.click('#why-not');
    await page.waitForSelector('main form .msg');
    ok(/exp-0001|彭建华/.test(await page.$eval('main form .msg', (e) => e.textContent)), 'why-not answers');
    // record an outcome
    await page.click('#outcome-paired');
    await page.waitForFunction(() => document.querySelector('#need-status-tag').textContent === '已对接');
    const stored = await page.evaluate(async (id) => {
      const me = await (await fetch('/auth/me')).json();
      const r = await fetch('/api/get', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf},
        body: JSON.stringify({type: 'need', record: id})});
      return (await r.json()).result.status;
    }, newId);
    ok(stored === 'paired', 'the outcome is stored (status paired)');

    // each proposed expert's outcome: contacted, accepted, then a contract
    // (value and date asked for); another declines with its reason; shown
    // with who recorded it, and still there when the page is opened again
    const cand = '#match-expert .result';
    const stateOf = (i) => page.$$eval(cand + ' .outcome-state', (e, i) => e[i].textContent, i);
    const step = async (i, st, want) => {
      await page.$$eval(cand, (rs, i, st) => rs[i].querySelector(`[data-outcome="${st}"]`).click(), i, st);
      await page.waitForFunction((sel, i, want) => document.querySelectorAll(sel)[i].textContent.includes(want),
        {timeout: 15000}, cand + ' .outcome-state', i, want);
    };
    ok(/尚未记录/.test(await stateOf(0)), 'no outcome yet: ' + await stateOf(0));
    await step(0, 'contacted', '已联系');
    ok(/记录人：staff1/.test(await stateOf(0)), 'the outcome names who recorded it: ' + await stateOf(0));
    await step(0, 'accepted', '已接受');
    await page.$$eval(cand, (rs) => rs[0].querySelector('[data-outcome="signed"]').click());
    await page.waitForSelector(cand + ' .outcome-form:not([hidden]) input[name="value"]');
    await page.type(cand + ' input[name="value"]', '45');
    await page.$eval(cand + ' input[name="signed"]', (e) => { e.value = '2021-06-18'; });
    await shoot(page, 'need-outcome');
    await page.click(cand + ' [data-confirm="signed"]');
    await page.waitForFunction((sel) => /已签约/.test(document.querySelector(sel).textContent), {timeout: 15000}, cand + ' .outcome-state');
    ok(/2021年6月18日.*合同 45 万元/.test(await stateOf(0)), 'the contract shows its date and value: ' + await stateOf(0));
    // a step out of order is refused, and the page says why
    await page.$$eval(cand, (rs) => rs[0].querySelector('[data-outcome="contacted"]').click());
    await page.waitForFunction((sel) => document.querySelector(sel).textContent.length > 0, {timeout: 15000},
      cand + ' .outcome [role="status"]');
    const refusal = await page.$eval(cand + ' .outcome [role="status"]', (e) => e.textContent);
    ok(!/已记录/.test(refusal) && /已签约/.test(refusal), 'signed -> contacted is refused with a reason: ' + refusal);
    ok(/已签约/.test(await stateOf(0)), 'and the outcome stays signed');
    await step(1, 'contacted', '已联系');
    await page.$$eval(cand, (rs) => rs[1].querySelector('[data-outcome="declined"]').click());
    await page.waitForSelector(cand + ' .outcome-form:not([hidden]) input[name="reason"]');
    // no reason: asked for, nothing recorded
    await page.$$eval(cand, (rs) => rs[1].querySelector('[data-confirm="declined"]').click());
    ok(/已联系/.test(await stateOf(1)), 'a decline without its reason is not recorded');
    await page.$$eval(cand, (rs) => { rs[1].querySelector('input[name="reason"]').value = '档期已满，明年可以'; });
    await page.$$eval(cand, (rs) => rs[1].querySelector('[data-confirm="declined"]').click());
    await page.waitForFunction((sel) => /已拒绝/.test(document.querySelectorAll(sel)[1].textContent), {timeout: 15000},
      cand + ' .outcome-state');
    ok(/原因：档期已满/.test(await stateOf(1)), 'the decline shows its reason: ' + await stateOf(1));
    const declinedId = await page.$$eval(cand, (rs) => rs[1].querySelector('.outcome-state').getAttribute('data-cand'));
    await page.reload({waitUntil: 'load'});
    await page.waitForSelector(cand + ' .outcome-state', {timeout: 30000});
    ok(/已签约/.test(await stateOf(0)), 'the contract is there when the page opens again');
    // a declined candidate is not proposed again for this need, and its outcome is still shown
    const listed = await page.$$eval(cand + ' .outcome-state', (e) => e.map((x) => x.getAttribute('data-cand')));
    ok(!listed.includes(declinedId), `the declined ${declinedId} is not proposed again`);
    const others = await page.$eval('#other-outcomes', (e) => e.textContent).catch(() => '');
    ok(others.includes(declinedId.split(':')[1]) && /已拒绝.*原因：档期已满/.test(others), 'its outcome is listed apart: ' + others);
    await page.evaluate(() => document.querySelector('#other-outcomes').scrollIntoView());
    await shoot(page, 'need-outcomes');

    // 工作台: the year's progress against the work plan counts the contract
    await go(page, '#/', '#stat-open_needs');
    await page.$eval('#as-of', (e) => { e.value = '2021-12-31'; });
    await page.click('main form.filters button');
    await page.waitForFunction(() => /2021年工作目标进度/.test((document.querySelector('#progress') || {}).textContent || ''),
      {timeout: 30000});
    const value = await page.$eval('#progress tr[data-metric="contract_value"] .actual', (e) => e.textContent);
    ok(/^45(\.0+)? 万元$/.test(value), '技术合同成交额 counts the 45 万元 contract: ' + value);
    ok(/已签约 1/.test(await page.$eval('#progress-funnel', (e) => e.textContent)), 'the funnel counts it');
    await page.evaluate(() => document.querySelector('#progress').scrollIntoView());
    await shoot(page, 'dashboard-progress');

    // expert and achievement pages with push lists
    await go(page, '#/experts', '#expert-query');
    await page.type('#expert-query', '油茶');
    await page.click('#expert-search');
    await page.waitForSelector('main .card .result a');
    await shoot(page, 'experts');
    await page.click('main .card .result a');
    await page.waitForSelector('#push');
    await shoot(page, 'expert');
    await go(page, '#/achievements', '#achievement-query');
    await page.type('#achievement-query', '烘干');
    await page.click('#achievement-search');
    await page.waitForSelector('main .card .result a');
    await page.click('main .card .result a');
    await page.waitForSelector('#push');
    await shoot(page, 'achievement');

    // 2021 challenge list: run, reject one pair, re-run with the decision kept
    await go(page, '#/assign', '#assign-list');
    await page.select('#assign-list', '2021揭榜挂帅');
    await page.click('#run');
    await page.waitForSelector('#pairs tbody tr', {timeout: 60000});
    const first = await page.$eval('#pairs tbody tr', (e) => e.getAttribute('data-pair'));
    await page.click('#pairs tbody tr .danger');
    ok(await page.$eval('#pairs tbody tr', (e) => e.className === 'pair-reject'), 'rejected pair is marked');
    await shoot(page, 'assign');
    await page.click('#rerun');
    await page.waitForFunction(() => /拒绝/.test((document.querySelector('#objective') || {}).textContent || ''), {timeout: 60000});
    const keys = await page.$$eval('#pairs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-pair')));
    ok(keys.length > 0 && !keys.includes(first), `re-run keeps the rejection: ${first} is gone`);
    // placement
    await go(page, '#/placement', '#place-program');
    await page.click('#run');
    await page.waitForSelector('#pairs tbody tr', {timeout: 60000});
    await shoot(page, 'placement');

    // demand list and its print view
    await go(page, '#/demands', 'main h2');
    await shoot(page, 'demands');
    const printUrl = await page.$eval('#dem-print', (e) => e.href);
    const pp = await ctx.newPage();
    watch(pp);
    const pr = await pp.goto(printUrl, {waitUntil: 'load'});
    ok(pr.status() === 200 && /需求清单/.test(await pp.content()), 'printable demand list');
    await pp.emulateMediaType('print');
    await shoot(pp, 'demands-print');
    await pp.pdf({path: path.join(shots, 'demands-print.pdf'), format: 'A4'});
    await pp.close();

    // hostile record text is shown as text, everywhere it appears
    await go(page, '#/need/need-evil', '#match-expert');
    const h1 = await page.$eval('main h1', (e) => e.textContent);
    ok(h1.includes('<script>alert(1)</script>'), 'a <script> title is shown as text');
    ok(await page.$$eval('main img', (x) => x.length) === 0, 'no <img> made from record text');
    ok((await page.$eval('main', (e) => e.textContent)).includes('"><img src=x onerror=alert(2)>'), 'an onerror payload is shown as text');
    await go(page, '#/needs', '#need-count');
    await page.$eval('#need-query', (e) => { e.value = ''; });
    await page.select('#need-status', 'all');
    await page.click('#need-search');
    await page.waitForFunction(() => document.querySelector('main tbody').textContent.includes('<script>'));
    const hrefs = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') || ''));
    ok(!hrefs.some((x) => /^\s*javascript:/i.test(x)), 'no javascript: link anywhere');
    await page.close();

    // ---------------------------------------------------------------- admin
    const actx = await browser.createBrowserContext();
    const ap = await actx.newPage();
    watch(ap);
    await ap.setViewport({width: 1366, height: 768});
    await login(ap, 'admin', process.env.ADMIN_PW);
    await go(ap, '#/import', '#imp-file');
    const input = await ap.$('#imp-file');
    await input.uploadFile(process.env.IMPORT_FILE);
    await ap.click('#imp-preview');
    await ap.waitForSelector('#imp-errors', {timeout: 30000});
    ok(/needs.csv:3/.test(await ap.$eval('#imp-errors', (e) => e.textContent)), 'preview names the bad line');
    ok(await ap.$eval('#imp-commit', (e) => e.disabled), 'a file with errors cannot be committed');
    await shoot(ap, 'import');
    await go(ap, '#/users', '#audit tbody tr');
    const audit = await ap.$eval('#audit', (e) => e.textContent);
    ok(audit.includes('staff1') && audit.includes(newId), 'the audit trail names the staff member and the need');
    await shoot(ap, 'users');
    await ap.close();

    // ---------------------------------------------------------------- viewer
    const vctx = await browser.createBrowserContext();
    const vp = await vctx.newPage();
    watch(vp);
    await vp.setViewport({width: 1366, height: 768});
    await login(vp, 'viewer1', process.env.VIEWER_PW);
    ok(await vp.$eval('nav a[href="#/intake"]', (e) => e.hidden), 'viewer has no 录入 menu');
    await go(vp, '#/need/need-0058', '#match-expert');
    ok(!(await vp.$('#outcome-paired')) && !(await vp.$('[data-outcome]')), 'viewer sees no outcome buttons');
    ok((await vp.$$('.outcome-state')).length > 0, 'viewer sees the outcomes');
    const res = await vp.evaluate(async () => {
      const me = await (await fetch('/auth/me')).json();
      const post = (url, body) => fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf},
        body: JSON.stringify(body)}).then((r) => r.status);
      return [await post('/api/import', {records: [{type: 'need', id: 'need-viewer', title: '查看者不能录入'}]}),
        await post('/admin/users', {action: 'add', name: 'x', role: 'admin', password: 'aaaaaaaaaa'}),
        await post('/api/outcome', {need: 'need-0058', expert: 'exp-0001', state: 'contacted'})];
    });
    ok(res.every((x) => x === 403), `viewer's changes are refused with 403 (got ${res})`);
    await go(vp, '#/intake', '.msg.error');
    ok(/只读/.test(await vp.$eval('.msg.error', (e) => e.textContent)), 'viewer intake page says read-only');
    await vp.click('#logout');
    await vp.waitForSelector('#login-name');
    await vp.close();

    ok(dialogs.length === 0, 'no script from record text ran: ' + dialogs.join(' | '));
    ok(errors.length === 0, 'no script errors or CSP violations: ' + errors.join(' | '));
  } catch (e) {
    fail++;
    console.error('FAIL: ' + (e && e.stack || e));
  } finally {
    await browser.close();
    fs.rmSync(profile, {recursive: true, force: true}); // each run's profile, tens of MB
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
})();
