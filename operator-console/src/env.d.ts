/// <reference types="vite/client" />

/** ORDER_CANCEL_WINDOW_MINUTES when the console was built (see vite.config.ts). */
declare const __ORDER_CANCEL_WINDOW_MINUTES__: number;
