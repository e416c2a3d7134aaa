"""The HTML report's stylesheet: inline CSS (the page loads nothing), screen, narrow and print."""

CSS = """
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;
--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--pass:#1a7f37;
--pass-bg:#dafbe1;--error:#8250df;--error-bg:#fbefff;--insufficient-data:#57606a;
--insufficient-data-bg:#eaeef2;--unknown:#57606a;--unknown-bg:#eaeef2}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,"Liberation Sans","DejaVu Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1180px;margin:0 auto;padding:0 24px 40px}
h1{font-size:22px;margin:0}
h2{font-size:18px;margin:36px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:20px 0 8px}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
code{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;background:var(--soft);
padding:1px 4px;border-radius:4px}
.nb{white-space:nowrap}
.seg{display:inline-block;max-width:100%;overflow-wrap:anywhere}
.top{display:flex;gap:20px;align-items:center;padding:20px 24px;margin:0 -24px 8px;
border-bottom:4px solid var(--st);background:var(--st-bg)}
.top>div{min-width:0}
.top .lead{margin:4px 0 0;font-size:15px}
.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 14px;margin:14px 0 0;
font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:break-word}
.badge{display:inline-block;white-space:nowrap;font-weight:600;font-size:12px;line-height:18px;
padding:1px 8px;border-radius:999px;color:var(--st);background:var(--st-bg);
border:1px solid var(--st)}
.badge.big{font-size:22px;line-height:30px;padding:8px 18px;border-width:2px;
text-transform:uppercase;letter-spacing:.04em;background:#fff}
.st-fail{--st:var(--fail);--st-bg:var(--fail-bg)}.st-warn{--st:var(--warn);--st-bg:var(--warn-bg)}
.st-pass{--st:var(--pass);--st-bg:var(--pass-bg)}
.st-error{--st:var(--error);--st-bg:var(--error-bg)}
.st-insufficient-data{--st:var(--insufficient-data);--st-bg:var(--insufficient-data-bg)}
.st-unknown{--st:var(--unknown);--st-bg:var(--unknown-bg)}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0;padding:0;list-style:none}
.counts li{padding:6px 14px;border-radius:8px;border:1px solid var(--line);min-width:110px}
.counts li b{display:block;font-size:22px;line-height:1.2;color:var(--st)}
.counts li.zero{opacity:.55}.counts li.zero b{color:var(--muted)}
.attention{list-style:none;padding:0;margin:8px 0}
.attention li{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 10px;padding:5px 12px;
border-left:4px solid var(--st);background:var(--st-bg);margin:0 0 4px;border-radius:0 6px 6px 0}
.attention .msg{flex:1 1 420px;min-width:0;overflow-wrap:break-word}
.attention .where{font-size:12px;color:var(--muted)}
table{border-collapse:collapse;width:100%}
.scroll{overflow-x:auto}.checks{width:auto;min-width:60%}
.findings{table-layout:fixed;min-width:820px}
th,td{text-align:left;vertical-align:top;padding:6px 8px}
th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);
white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}td.wrap{white-space:normal}
.checks td,.checks th,.files td,.files th{border-bottom:1px solid var(--line)}
.files .path{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;width:34%}
.files .why{min-width:14em}
.files td:first-child{white-space:nowrap}
.kind{font:12px system-ui,sans-serif;color:var(--muted);border:1px solid var(--line);
border-radius:4px;padding:0 4px;margin-left:4px;white-space:nowrap}
section.file{margin-top:28px}section.file h2 code{font-size:15px;background:none}
.findings{margin-top:6px}
.findings tbody{border-bottom:1px solid var(--line)}
.findings tbody.st-fail,.findings tbody.st-error,.findings tbody.st-warn{
background:linear-gradient(var(--st),var(--st)) left/3px 100% no-repeat}
.findings>tbody>tr.row>td{padding-top:10px}
.findings>tbody>tr.detail>td{padding-top:0;padding-bottom:12px}
.findings td:first-child .badge{white-space:normal;border-radius:10px}
.findings .metric{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:break-word}
.findings .col{font-weight:600;overflow-wrap:break-word}.findings .col i{font-weight:400;
color:var(--muted)}
.message{margin:0;font-size:14.5px;overflow-wrap:break-word}
.st-fail .message,.st-error .message{font-weight:500}
.reason{color:var(--muted)}
.effect span{display:block;white-space:nowrap}
svg.gauge{display:block;margin-top:2px;width:100%;max-width:150px;height:auto}
details{margin-top:6px}details.more{margin:0 0 8px}
summary{cursor:pointer;color:var(--muted);font-size:13px}
.evidence{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:flex-start}
.evidence>*{min-width:0}
.evidence .ev{flex:1 1 340px;min-width:min(340px,100%)}
.plots{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0;max-width:100%}
figure{margin:0;padding:8px;border:1px solid var(--line);border-radius:8px;background:#fff;
max-width:min(620px,100%);min-width:0}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);padding:4px 4px 0;max-width:600px}
.ev{display:grid;grid-template-columns:fit-content(45%) minmax(0,1fr);gap:4px 14px;
margin:8px 0 0;font-size:13px}
.ev dt{color:var(--muted);font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;
overflow-wrap:anywhere}
.ev dd{margin:0;min-width:0;overflow-wrap:break-word}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chips code{border:1px solid var(--line);max-width:100%;overflow-wrap:anywhere}
.kv th,.records th{font-weight:600;color:var(--muted);font-size:12px;padding:1px 10px 1px 0;
border-bottom:1px solid var(--line);white-space:nowrap}
.kv td,.records td{padding:1px 10px 1px 0;font-size:13px;border-bottom:1px solid var(--soft)}
.kv,.records table{width:auto}.kv td{white-space:nowrap}
.records,.kvs{max-width:100%;overflow:auto}.records{max-height:260px}
pre{margin:0;font:12px ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:320px;overflow:auto;background:var(--soft);padding:6px 8px;
border-radius:6px}
.notes{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:8px 16px}
footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);
font-size:12.5px}
footer dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px}
footer dd{margin:0}
@media (max-width:900px){
main{padding:0 14px 32px}
.top{flex-direction:column;align-items:flex-start;gap:10px;padding:16px 14px;margin:0 -14px 8px}
.findings{min-width:0}
.findings colgroup,.findings thead{display:none}
.findings,.findings>tbody,.findings>tbody>tr,.findings>tbody>tr>td{display:block;width:auto}
.findings>tbody{padding:8px 0 8px 10px}
.findings>tbody>tr.row{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:6px 14px}
.findings>tbody>tr.row>td{padding:0;text-align:left;min-width:0}
.findings td[data-label]::before{content:attr(data-label);display:block;font:600 11px/1.4
system-ui,sans-serif;color:var(--muted)}
.findings>tbody>tr.detail>td:first-child{display:none}
.findings>tbody>tr.detail>td{padding:8px 0 0}
.files,.files>tbody{display:block}.files>thead{display:none}
.files>tbody>tr{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content;
column-gap:10px;border-bottom:1px solid var(--line);padding:6px 0}
.files>tbody>tr>td,.files td.path{border:0;padding:2px 0;width:auto}
.files>tbody>tr>td.why{grid-column:1/-1;min-width:0}
.files td.num:not(:empty)::after{content:" rows";color:var(--muted)}
}
@media (max-width:600px){
.ev{grid-template-columns:minmax(0,1fr);gap:0}.ev dd{margin-bottom:6px}
.attention li{padding:5px 8px}
}
@media print{
.top,.badge,.attention li,.findings tbody{print-color-adjust:exact;-webkit-print-color-adjust:exact}
main{max-width:none;padding:0}.top{margin:0 0 8px}
.scroll,.records,.kvs,pre{overflow:visible;max-height:none}
.findings{min-width:0}
figure,.attention li,.findings>tbody>tr.row,.ev>dt{break-inside:avoid}
h2,h3{break-after:avoid}
summary{list-style:none;font-weight:600}
}
@media print{details::details-content{content-visibility:visible;display:block}}
"""
