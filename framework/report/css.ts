/** The report page's style sheet, inline in the page. */
export const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#111;max-width:1500px}h2{font-size:18px}h3{margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:separate;border-spacing:0;font-size:12px}th,td{padding:2px 6px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}th{cursor:pointer;background:#f6f6f6;position:sticky;top:0;z-index:2}td:first-child,th:first-child{text-align:left}
table.summary th{white-space:normal;vertical-align:bottom;min-width:3.2em;max-width:6.5em}
.fixed-first td:first-child{position:sticky;left:0;background:#fff;z-index:1}.fixed-first th:first-child{left:0;z-index:3}
.scroll{overflow:auto;max-height:520px;max-width:100%}.scroll.short{max-height:300px}.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}svg{font-size:10px}.title{font-weight:600;font-size:12px}.tick{fill:#555}
.heatmap td{padding:0}.heat{display:block;padding:2px 6px}
.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}.bad{color:#b91c1c}.warn{color:#b45309}.costly{color:#b45309;font-weight:600}.note{color:#555;font-size:12px}
.stage{display:inline-block;padding:1px 6px;margin:2px;border-radius:3px;background:#eef}.st-done{background:#dcfce7}.st-failed{background:#fee2e2}.st-interrupted{background:#fef3c7}
.status-completed{color:#15803d}.status-failed{color:#b91c1c}.status-interrupted{color:#b45309}.dir{color:#777;font-size:12px}
.v-out table td{text-align:left;white-space:normal;max-width:600px}.v-out pre{margin:0;white-space:pre-wrap;font-size:11px;color:#444}.run{border-top:3px solid #333;margin-top:24px}.side{display:flex;flex-wrap:wrap;gap:16px}`;
