// Long-lived broker components started after the topic table loads (e.g. the group coordinator).
// Keep this a plain array so additions merge easily.
import { groupCoordinatorModule } from "./group/driver/coordinator.js";
import type { BrokerModule } from "./services.js";

export const MODULES: readonly BrokerModule[] = [groupCoordinatorModule as BrokerModule];
