// aio-notify: QEMU's AioContext wake-up machinery for Node.js on Linux.
export * as sys from './sys';
