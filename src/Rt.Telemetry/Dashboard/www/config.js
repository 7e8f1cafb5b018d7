// Served as it is by mosquitto's http_dir: the broker is the WebSocket listener that served the page.
// `rt dashboard` replaces this file with one naming --broker, --prefix and --robot. The query string
// (?broker=ws://h:p&prefix=rt&robot=biped12) overrides either.
window.RT_DASHBOARD = window.RT_DASHBOARD || {};
