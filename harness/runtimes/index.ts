// Public API of the runtimes: the container runtime (testcontainers, images built locally on a registry-free base)
// and the per-image contracts of w3 and node-cluster. The process runtime lives with each target.
export {
  ensureDocker,
  requireDocker,
  prepareTestcontainersEnv,
  engineIsLocal,
  localBaseImage,
  DockerUnavailableError,
  type DockerAvailability,
} from './docker-env';
export {
  ensureImage,
  W3_IMAGE,
  NODE_CLUSTER_IMAGE,
  ImageBuildError,
  type ImageSpec,
  type BuiltImage,
  type EnsureImageOptions,
} from './image-build';
export {
  startContainer,
  removeLabContainers,
  removeLabContainersSync,
  ContainerRuntime,
  ContainerRuntimeError,
  LABEL_LAB,
  LABEL_RUN,
  LABEL_ROLE,
  type StartContainerOptions,
  type StartedContainerHandle,
  type ContainerState,
  type ExecResult,
  type FileToPlace,
} from './container-runtime';
export { ContainerAdminClient, ContainerAdminError, type ContainerAdminOptions } from './container-admin';
export {
  planAdminAccess,
  planSocketAccess,
  connectAdmin,
  connectOverPlan,
  W3_CONTAINER_ADMIN_DIR,
  type AdminAccess,
  type AdminAccessMode,
  type AdminAccessPlan,
  type AdminRequester,
  type SocketAccessPlan,
} from './admin-access';
export {
  makeSocketFolder,
  readOwnerRecord,
  SOCKET_FOLDER_PREFIX,
  OWNER_RECORD,
  type SocketFolder,
  type SocketFolderOwner,
} from './socket-folder';
export {
  startW3Container,
  containerizeW3Config,
  toContainerPath,
  W3_CONTAINER_ROOT,
  W3_CONTAINER_CONFIG,
  W3_CONTAINER_RUN_DIR,
  W3_CONTAINER_ADMIN_SOCKET,
  W3_CONTAINER_PORT,
  W3_READY_LOG,
  type StartW3ContainerOptions,
  type StartedW3Container,
} from './w3-container';
export {
  startNodeClusterContainer,
  planNodeClusterControl,
  NODE_CLUSTER_CONTAINER_PORT,
  NODE_CLUSTER_CONTROL_PORT,
  NODE_CLUSTER_CONTROL_DIR,
  type ControlRequester,
  type StartNodeClusterContainerOptions,
  type StartedNodeClusterContainer,
} from './node-cluster-container';
export { ensureAppImage, CONTAINER_APPS_ROOT, type EnsureAppImageOptions } from './app-image';
export {
  hashAppDirs,
  stageAppDirs,
  listAppEntries,
  AppContextError,
  MAX_APP_ENTRIES,
  type AppDir,
} from './app-context';
