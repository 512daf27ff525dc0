/**
 * Device descriptions (dd.xml) shaped like the real ones (camera-api.md §1.3): the QX family's
 * MediaServer document (DSC-QX100 capture, SONYCAM) and the Smart-Remote Basic:1 document
 * (DSC-HX400V, PYSONY). Pure: URLs in, XML out.
 */
import { DLNA_QUERY } from "./postview.js";

/** What goes into a device description. */
export interface DeviceDescriptionInput {
  friendlyName: string;
  udn: string;
  /** `X_ScalarWebAPI_ActionList_URL`, e.g. `http://10.0.0.1:10000/sony`. */
  actionListUrl: string;
  services: readonly string[];
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The QX liveview URL of the image server, in the DLNA-query form (§1.3, YOGGY). */
export function qxLiveviewUrl(imageBase: string): string {
  return `${imageBase}/liveview.JPG${DLNA_QUERY}`;
}

function scalarServices(input: DeviceDescriptionInput, selfClosingAccessType: boolean): string {
  const accessType = selfClosingAccessType
    ? "<av:X_ScalarWebAPI_AccessType />"
    : "<av:X_ScalarWebAPI_AccessType></av:X_ScalarWebAPI_AccessType>";
  return input.services
    .map(
      (service) =>
        `<av:X_ScalarWebAPI_Service><av:X_ScalarWebAPI_ServiceType>${service}</av:X_ScalarWebAPI_ServiceType>` +
        `<av:X_ScalarWebAPI_ActionList_URL>${escapeXml(input.actionListUrl)}</av:X_ScalarWebAPI_ActionList_URL>` +
        `${accessType}</av:X_ScalarWebAPI_Service>`,
    )
    .join("");
}

/**
 * The QX10 dd.xml: one line like the QX100 capture, MediaServer:1 with the UPnP services, the
 * `av` namespace on the root, and an ImagingDevice with the liveview URL.
 */
export function qxDeviceDescription(
  input: DeviceDescriptionInput & { liveviewUrl: string },
): string {
  const upnpService = (
    type: string,
    id: string,
    scpd: string,
    control: string,
    event: string,
  ): string =>
    `<service><serviceType>${type}</serviceType><serviceId>${id}</serviceId><SCPDURL>${scpd}</SCPDURL>` +
    `<controlURL>${control}</controlURL><eventSubURL>${event}</eventSubURL></service>`;
  const icon = (mime: string, size: number, url: string): string =>
    `<icon><mimetype>${mime}</mimetype><width>${size}</width><height>${size}</height><depth>24</depth><url>${url}</url></icon>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<root xmlns="urn:schemas-upnp-org:device-1-0" xmlns:dlna="urn:schemas-dlna-org:device-1-0" xmlns:av="urn:schemas-sony-com:av">' +
    "<specVersion><major>1</major><minor>0</minor></specVersion><device>" +
    '<dlna:X_DLNADOC xmlns:dlna="urn:schemas-dlna-org:device-1-0">DMS-1.50</dlna:X_DLNADOC>' +
    "<deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>" +
    `<friendlyName>${escapeXml(input.friendlyName)}</friendlyName>` +
    "<manufacturer>Sony Corporation</manufacturer><manufacturerURL>http://www.sony.com/</manufacturerURL>" +
    "<modelDescription>SonyDigitalMediaServer</modelDescription><modelName>SonyImagingDevice</modelName>" +
    `<modelURL>http://www.sony.net/</modelURL><UDN>${escapeXml(input.udn)}</UDN><serviceList>` +
    upnpService(
      "urn:schemas-upnp-org:service:ContentDirectory:1",
      "urn:upnp-org:serviceId:ContentDirectory",
      "/CdsDesc.xml",
      "/upnp/control/ContentDirectory",
      "/upnp/event/ContentDirectory",
    ) +
    upnpService(
      "urn:schemas-upnp-org:service:ConnectionManager:1",
      "urn:upnp-org:serviceId:ConnectionManager",
      "/CmsDesc.xml",
      "/upnp/control/ConnectionManager",
      "/upnp/event/ConnectionManager",
    ) +
    upnpService(
      "urn:schemas-sony-com:service:ScalarWebAPI:1",
      "urn:schemas-sony-com:serviceId:ScalarWebAPI",
      "/ScalarWebApiDesc.xml",
      "",
      "",
    ) +
    upnpService(
      "urn:schemas-sony-com:service:DigitalImaging:1",
      "urn:schemas-sony-com:serviceId:DigitalImaging",
      "/DigitalImagingDesc.xml",
      "/upnp/control/DigitalImaging",
      "",
    ) +
    "</serviceList><iconList>" +
    icon("image/jpeg", 48, "/DLNA_camera_48.jpg") +
    icon("image/jpeg", 120, "/DLNA_camera_120.jpg") +
    icon("image/png", 48, "/DLNA_camera_48.png") +
    icon("image/png", 120, "/DLNA_camera_120.png") +
    "</iconList>" +
    '<av:X_ScalarWebAPI_DeviceInfo xmlns:av="urn:schemas-sony-com:av">' +
    "<av:X_ScalarWebAPI_Version>1.0</av:X_ScalarWebAPI_Version><av:X_ScalarWebAPI_ServiceList>" +
    scalarServices(input, true) +
    "</av:X_ScalarWebAPI_ServiceList><av:X_ScalarWebAPI_ImagingDevice>" +
    `<av:X_ScalarWebAPI_LiveView_URL>${escapeXml(input.liveviewUrl)}</av:X_ScalarWebAPI_LiveView_URL>` +
    "<av:X_ScalarWebAPI_DefaultFunction>RemoteShooting</av:X_ScalarWebAPI_DefaultFunction>" +
    "</av:X_ScalarWebAPI_ImagingDevice></av:X_ScalarWebAPI_DeviceInfo></device></root>"
  );
}

/**
 * The Smart-Remote dd.xml (HX400V/A6000 shape): Basic:1, only the ScalarWebAPI UPnP service, the
 * `av` namespace declared on the DeviceInfo element, no ImagingDevice.
 */
export function smartRemoteDeviceDescription(input: DeviceDescriptionInput): string {
  const services = input.services
    .map(
      (service) => `        <av:X_ScalarWebAPI_Service>
          <av:X_ScalarWebAPI_ServiceType>${service}</av:X_ScalarWebAPI_ServiceType>
          <av:X_ScalarWebAPI_ActionList_URL>${escapeXml(input.actionListUrl)}</av:X_ScalarWebAPI_ActionList_URL>
          <av:X_ScalarWebAPI_AccessType></av:X_ScalarWebAPI_AccessType>
        </av:X_ScalarWebAPI_Service>
`,
    )
    .join("");
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion>
    <major>1</major>
    <minor>0</minor>
  </specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
    <friendlyName>${escapeXml(input.friendlyName)}</friendlyName>
    <manufacturer>Sony Corporation</manufacturer>
    <manufacturerURL>http://www.sony.net/</manufacturerURL>
    <modelDescription>SonyDigitalMediaServer</modelDescription>
    <modelName>SonyImagingDevice</modelName>
    <UDN>${escapeXml(input.udn)}</UDN>
    <serviceList>
      <service>
        <serviceType>urn:schemas-sony-com:service:ScalarWebAPI:1</serviceType>
        <serviceId>urn:schemas-sony-com:serviceId:ScalarWebAPI</serviceId>
        <SCPDURL></SCPDURL>
        <controlURL></controlURL>
        <eventSubURL></eventSubURL>
      </service>
    </serviceList>
    <av:X_ScalarWebAPI_DeviceInfo xmlns:av="urn:schemas-sony-com:av">
      <av:X_ScalarWebAPI_Version>1.0</av:X_ScalarWebAPI_Version>
      <av:X_ScalarWebAPI_ServiceList>
${services}      </av:X_ScalarWebAPI_ServiceList>
    </av:X_ScalarWebAPI_DeviceInfo>
  </device>
</root>
`;
}
