// A fixed amount of CPU work (no clock in the loop): about 10 s on this machine by default.
const rounds = Number(process.argv[2] ?? 4.3e8);
let x = 0;
for (let i = 0; i < rounds; i++) x = (x + i * 2654435761) % 4294967291;
console.log(`done x=${x}`);
