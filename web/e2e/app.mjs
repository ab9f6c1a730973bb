// End-to-end checks of what every page shares, run by run.mjs against its real daemon: the
// banner while the database cannot be written (faked /api/health and listing), the light theme
// and its toggle, phone width, the keyboard ("n", Tab, Escape), and a tab without the token.

export async function appChecks({ page, context, check, assert, until, sleep, shot, ORIGIN, PROJECT, requests, termText, counterId, stepsId }) {
  await check('a banner on every page while the database cannot be written (faked /api/health), gone when it can', async () => {
    // The daemon's own answers, with `store` / `store_integrity` / the listing's `store` replaced.
    let fake = { store: 'disk full: test' };
    const onHealth = async (route) => {
      const r = await route.fetch();
      await route.fulfill({ response: r, json: { ...(await r.json()), ...fake } });
    };
    await page.route('**/api/health', onHealth);
    const banner = page.getByTestId('store-banner-unwritable');
    await page.goto(`${ORIGIN}/#/`);
    await banner.waitFor();
    const text = await banner.innerText();
    assert(text.includes('The database cannot be written (disk full: test).') && text.includes('nothing is lost') && text.includes('when space is freed'), `banner: ${text}`);
    await page.locator('tbody tr').first().waitFor();
    await sleep(150);
    await page.screenshot({ path: '/tmp/banner.png' });
    await shot('banner-list.png');
    await page.emulateMedia({ colorScheme: 'light' });
    await sleep(150);
    await page.screenshot({ path: '/tmp/banner-light.png' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${ORIGIN}/#/specs?project=${encodeURIComponent(PROJECT)}`);
    await banner.waitFor();
    await page.goto(`${ORIGIN}/#/sessions/${counterId}`);
    await page.locator('.detail-head').waitFor();
    await banner.waitFor();
    await shot('banner-detail.png');
    // Health says "ok" again: the next poll (every 5 s) hides it, without a reload.
    fake = { store: 'ok' };
    await banner.waitFor({ state: 'detached', timeout: 8000 });
    // A damaged file says what to run.
    fake = { store: 'ok', store_integrity: 'failed: test' };
    await page.goto(`${ORIGIN}/#/`);
    const damaged = page.getByTestId('store-banner-damaged');
    await damaged.waitFor();
    assert((await damaged.innerText()).includes('agentmux doctor --repair'), `damaged banner: ${await damaged.innerText()}`);
    await page.screenshot({ path: '/tmp/banner-damaged.png' });
    // A sessions listing that carries `store` shows the banner at once (health without the field).
    fake = { store: undefined, store_integrity: 'ok' };
    const onList = async (route) => {
      const r = await route.fetch();
      await route.fulfill({ response: r, json: { ...(await r.json()), store: 'I/O error: test' } });
    };
    await page.route(/\/api\/sessions(\?|$)/, onList);
    await page.reload();
    await banner.waitFor();
    assert((await banner.innerText()).includes('(I/O error: test)'), `banner from the listing: ${await banner.innerText()}`);
    await page.unroute(/\/api\/sessions(\?|$)/, onList);
    await page.unroute('**/api/health', onHealth);
    await banner.waitFor({ state: 'detached', timeout: 8000 });
  });

  await check('light theme and the theme toggle', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${ORIGIN}/#/sessions/${stepsId}`);
    await page.locator('.detail-head').waitFor();
    await until('terminal text', async () => (await termText()).includes('step 10'));
    await shot('detail-light.png');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.locator('.theme-toggle').click(); // system → light
    await page.locator('.theme-toggle').click(); // light → dark
    const dark = await bg();
    assert(light !== dark, `toggle did not change the theme (${light})`);
    await page.locator('.theme-toggle').click(); // back to system
  });

  await check('phone width: list and detail fit the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${ORIGIN}/#/`);
    await page.locator('tbody tr').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `list is ${overflow}px wider than the screen`);
    await shot('list-phone.png');
    await page.goto(`${ORIGIN}/#/sessions/${counterId}`);
    await page.locator('.detail-head').waitFor();
    await until('terminal text', async () => (await termText()).includes('tick'));
    const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow2 <= 0, `detail is ${overflow2}px wider than the screen`);
    await shot('detail-phone.png');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('keyboard: "n" opens the dialog, Tab reaches the controls, Escape closes', async () => {
    await page.goto(`${ORIGIN}/#/`);
    await page.locator('tbody tr').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('n');
    await page.locator('dialog.dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog.dialog').waitFor({ state: 'detached' });
    const seen = new Set();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => document.activeElement?.textContent?.trim().slice(0, 30) || document.activeElement?.tagName));
    }
    assert([...seen].some((t) => /New session/.test(t)), `Tab never reached New session: ${[...seen].join(' | ')}`);
    assert([...seen].some((t) => /tick|sh|step|sleep/.test(t)), `Tab never reached a session link: ${[...seen].join(' | ')}`);
  });

  await check('a tab without the token, or with a wrong one, says how to get the URL', async () => {
    const other = await context.newPage();
    other.on('request', (r) => requests.push(r.url()));
    await other.goto(`${ORIGIN}/`);
    await other.getByText('agentmux ui-url').waitFor();
    await other.goto(`${ORIGIN}/?token=not-the-token`);
    await other.getByText('did not accept').waitFor();
    assert(!other.url().includes('not-the-token'), 'bad token left in the URL');
    await other.close();
  });
}
