// Loaded with a dynamic import when a terminal opens: xterm.js stays out of every other page's JavaScript.
import '@xterm/xterm/css/xterm.css';

export { FitAddon } from '@xterm/addon-fit';
export { Terminal } from '@xterm/xterm';
