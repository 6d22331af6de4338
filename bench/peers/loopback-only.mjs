// Preloaded (`node --import`) into a peer gateway that has no listen-address
// option (Portkey's start-server binds every interface): any TCP listen
// without a host gets 127.0.0.1, so benchmark servers stay on loopback.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (typeof second !== "string") args[1] === undefined && args.length > 1 ? (args[1] = "127.0.0.1") : args.splice(1, 0, "127.0.0.1");
  } else if (first && typeof first === "object" && first.path === undefined && first.host === undefined) {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
